/**
 * A loopback OTLP/HTTP receiver for tests: accepts what the OpenTelemetry JSON exporters POST to
 * /v1/traces and /v1/metrics (ExportTraceServiceRequest / ExportMetricsServiceRequest in the
 * protobuf-JSON mapping) and flattens it into spans and metric names with their resources.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface CollectedSpan {
  readonly service: string;
  readonly pid: number | undefined;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly kind: number;
  readonly statusCode: number;
  readonly attributes: Readonly<Record<string, string | number | boolean | undefined>>;
}

export interface CollectedMetric {
  readonly service: string;
  readonly pid: number | undefined;
  readonly name: string;
  readonly points: readonly {
    readonly attributes: Readonly<Record<string, string | number | boolean | undefined>>;
    readonly value: number;
  }[];
}

function valueOf(v: AnyValue): string | number | boolean | undefined {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function attrs(list: readonly KeyValue[] | undefined): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
}

/** OTLP JSON ids are hex strings; some encoders use base64. Normalise to lower-case hex. */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

export interface OtlpCollector {
  readonly endpoint: string;
  readonly spans: CollectedSpan[];
  readonly metrics: CollectedMetric[];
  /** Requests that were not valid OTLP JSON (their content type and first bytes). */
  readonly rejected: string[];
  close(): Promise<void>;
}

/** A cumulative counter's total over processes: the largest value each process reported for points matching `labels`, summed. */
export function counterTotal(
  metrics: readonly CollectedMetric[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const byPid = new Map<number | undefined, number>();
  for (const m of metrics.filter((x) => x.name === name)) {
    for (const p of m.points) {
      if (Object.entries(labels).every(([k, v]) => p.attributes[k] === v))
        byPid.set(m.pid, Math.max(byPid.get(m.pid) ?? 0, p.value));
    }
  }
  return [...byPid.values()].reduce((a, b) => a + b, 0);
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const metrics: CollectedMetric[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const body = JSON.parse(text) as Record<string, unknown>;
        if (req.url === '/v1/traces') {
          for (const rs of (body.resourceSpans ?? []) as {
            resource?: { attributes?: KeyValue[] };
            scopeSpans?: { spans?: Record<string, unknown>[] }[];
          }[]) {
            const resource = attrs(rs.resource?.attributes);
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                spans.push({
                  service: String(resource['service.name']),
                  pid: resource['process.pid'] as number | undefined,
                  name: String(s.name),
                  traceId: hexId(s.traceId as string) ?? '',
                  spanId: hexId(s.spanId as string) ?? '',
                  parentSpanId: hexId(s.parentSpanId as string | undefined),
                  kind: Number(s.kind ?? 0),
                  statusCode: Number((s.status as { code?: number } | undefined)?.code ?? 0),
                  attributes: attrs(s.attributes as KeyValue[] | undefined),
                });
              }
            }
          }
        } else if (req.url === '/v1/metrics') {
          for (const rm of (body.resourceMetrics ?? []) as {
            resource?: { attributes?: KeyValue[] };
            scopeMetrics?: { metrics?: Record<string, unknown>[] }[];
          }[]) {
            const resource = attrs(rm.resource?.attributes);
            for (const sm of rm.scopeMetrics ?? []) {
              for (const m of sm.metrics ?? []) {
                const data = (m.sum ?? m.histogram ?? m.gauge) as
                  | {
                      dataPoints?: {
                        attributes?: KeyValue[];
                        asInt?: string | number;
                        asDouble?: number;
                        count?: string | number;
                      }[];
                    }
                  | undefined;
                metrics.push({
                  service: String(resource['service.name']),
                  pid: resource['process.pid'] as number | undefined,
                  name: String(m.name),
                  points: (data?.dataPoints ?? []).map((p) => ({
                    attributes: attrs(p.attributes),
                    value: Number(p.asInt ?? p.asDouble ?? p.count ?? 0),
                  })),
                });
              }
            }
          }
        } else {
          throw new Error(`unexpected path ${req.url}`);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        rejected.push(`${req.url} ${req.headers['content-type']} ${text.slice(0, 80)}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    rejected,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
