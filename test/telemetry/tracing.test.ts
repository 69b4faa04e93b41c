import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteWorkQueue } from '../../src/adapters/local/sqliteWorkQueue.js';
import { serviceBusWorkQueueFromConnectionString } from '../../src/adapters/azure/serviceBusWorkQueue.js';
import { PermanentError, TransientError } from '../../src/core/errors.js';
import type { WorkQueue } from '../../src/ports/workQueue.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { runMessagePump } from '../../src/hosting/messagePump.js';
import {
  startTelemetry,
  telemetrySettingsOf,
  type AzureMonitorOptions,
  type Telemetry,
} from '../../src/telemetry/setup.js';
import { tracedQueue } from '../../src/telemetry/tracedQueue.js';
import { DIAGNOSTIC_ID, inSpan, TRACEPARENT, traceContextOf, withTraceContext } from '../../src/telemetry/tracing.js';
import { tracedHandler } from '../../functions/src/tracedHandler.js';
import { startTestBroker } from '../broker/testBroker.js';

describe('telemetry settings', () => {
  it('auto: Azure Monitor with a connection string, OTLP with an endpoint, else off; OTEL_SDK_DISABLED wins', () => {
    expect(telemetrySettingsOf({}).mode).toBe('off');
    expect(telemetrySettingsOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x' })).toMatchObject({
      mode: 'azure-monitor',
      connectionString: 'InstrumentationKey=x',
    });
    expect(telemetrySettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).mode).toBe('otlp');
    expect(telemetrySettingsOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }).mode).toBe(
      'otlp',
    );
    expect(
      telemetrySettingsOf({ TESSERA_TELEMETRY: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).mode,
    ).toBe('console');
    expect(telemetrySettingsOf({ TESSERA_TELEMETRY: 'otlp', OTEL_SDK_DISABLED: 'true' }).mode).toBe('off');
    expect(telemetrySettingsOf({ TESSERA_TRACE_SAMPLE_RATIO: '0.25' }).sampleRatio).toBe(0.25);
  });

  it('bad settings are errors that name the setting and the reason', () => {
    expect(() => telemetrySettingsOf({ TESSERA_TELEMETRY: 'jaeger' })).toThrow(
      /TESSERA_TELEMETRY.*must be one of off, console, otlp, azure-monitor, auto, got "jaeger"/,
    );
    expect(() => telemetrySettingsOf({ TESSERA_TELEMETRY: 'azure-monitor' })).toThrow(
      /APPLICATIONINSIGHTS_CONNECTION_STRING.*required/,
    );
    expect(() => telemetrySettingsOf({ TESSERA_TRACE_SAMPLE_RATIO: '2' })).toThrow(
      /TESSERA_TRACE_SAMPLE_RATIO.*from 0 to 1/,
    );
    expect(() => telemetrySettingsOf({ TESSERA_TELEMETRY_METRICS_MS: 'soon' })).toThrow(/TESSERA_TELEMETRY_METRICS_MS/);
  });

  it('azure-monitor starts the distro with the connection string, the credential, the sampling ratio and the Azure SDK spans, and shuts it down once', async () => {
    const calls: AzureMonitorOptions[] = [];
    let shutdowns = 0;
    const credential = { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const telemetry = await startTelemetry({
      service: 'tessera-scorer',
      env: {
        APPLICATIONINSIGHTS_CONNECTION_STRING:
          'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
        TESSERA_TRACE_SAMPLE_RATIO: '0.5',
      },
      credential,
      loadAzureMonitor: () =>
        Promise.resolve({
          useAzureMonitor: (options) => {
            calls.push(options);
          },
          shutdownAzureMonitor: () => {
            shutdowns += 1;
            return Promise.resolve();
          },
        }),
    });
    expect(telemetry.mode).toBe('azure-monitor');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      azureMonitorExporterOptions: {
        connectionString: expect.stringContaining('InstrumentationKey=') as unknown,
        credential,
      },
      samplingRatio: 0.5,
      instrumentationOptions: { azureSdk: { enabled: true } },
    });
    expect(calls[0]?.resource.attributes['service.name']).toBe('tessera-scorer');
    await Promise.all([telemetry.shutdown(), telemetry.shutdown()]);
    expect(shutdowns).toBe(1);
  });
});

describe('trace context through queues and the message pump (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let dir: string;
  const spans = async (): Promise<ReadableSpan[]> => {
    await telemetry.flush();
    return exporter.getFinishedSpans();
  };

  beforeAll(async () => {
    telemetry = await startTelemetry({ service: 'test', env: {}, spanExporter: exporter });
    dir = mkdtempSync(join(tmpdir(), 'tessera-trace-'));
  });
  afterAll(async () => {
    await telemetry.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => exporter.reset());

  const openQueue = (name: string, maxDeliveryCount = 2): WorkQueue =>
    tracedQueue(
      openSqliteWorkQueue({ file: join(dir, `${name}.sqlite`), queue: name, lockDurationMs: 5000, maxDeliveryCount }),
    );

  /** Pumps until `done` says so. */
  async function pump(
    queue: WorkQueue,
    handle: (body: unknown) => Promise<void>,
    done: () => boolean,
  ): Promise<string[]> {
    const deadLettered: string[] = [];
    const stop = new AbortController();
    const running = runMessagePump(
      {
        queue,
        handle,
        onDeadLetter: (_b, reason) => {
          deadLettered.push(reason);
          return Promise.resolve();
        },
        log: createRecordingLogger(),
        waitMs: 50,
        // A transient failure is redelivered after 0.1-0.2 s, not the production 7.5-15 s.
        retry: { baseMs: 200, maxMs: 1_000 },
      },
      stop.signal,
    );
    while (!done()) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await running;
    return deadLettered;
  }

  it("a send inside a span stamps traceparent and Diagnostic-Id; the consumer span is that send span's child, and what it sends carries the trace on", async () => {
    const queue = openQueue('chain');
    await inSpan('trigger', {}, () => queue.send([{ messageId: 'a', body: { kind: 'plan', jobId: 'j1' } }]));
    const [received] = await queue.receive({ maxWaitMs: 0 });
    expect(received?.applicationProperties[TRACEPARENT]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(received?.applicationProperties[DIAGNOSTIC_ID]).toBe(received?.applicationProperties[TRACEPARENT]);
    await queue.abandon(received!);

    let handled = 0;
    await pump(
      queue,
      async (body) => {
        handled += 1;
        if ((body as { kind: string }).kind === 'plan')
          await queue.send([{ messageId: 'b', body: { kind: 'score', jobId: 'j1', shardId: 's1' } }]);
      },
      () => handled === 2,
    );

    const all = await spans();
    const [trigger] = all.filter((s) => s.name === 'trigger');
    expect(new Set(all.map((s) => s.spanContext().traceId))).toEqual(new Set([trigger?.spanContext().traceId]));
    const byName = (name: string) => all.filter((s) => s.name === name);
    const [planSend, scoreSend] = byName('send chain');
    const [plan] = byName('process plan');
    const [score] = byName('process score');
    expect(planSend?.kind).toBe(SpanKind.PRODUCER);
    expect(planSend?.parentSpanContext?.spanId).toBe(trigger?.spanContext().spanId);
    expect(plan?.kind).toBe(SpanKind.CONSUMER);
    expect(plan?.parentSpanContext?.spanId).toBe(planSend?.spanContext().spanId);
    expect(scoreSend?.parentSpanContext?.spanId).toBe(plan?.spanContext().spanId);
    expect(score?.parentSpanContext?.spanId).toBe(scoreSend?.spanContext().spanId);
    expect(score?.attributes).toMatchObject({
      'tessera.job.id': 'j1',
      'tessera.shard.id': 's1',
      'tessera.outcome': 'completed',
      'messaging.destination.name': 'chain',
    });
  });

  it('failures are on the consumer spans: a transient one (retried), then a permanent one (dead-lettered), each with its error', async () => {
    const queue = openQueue('failing', 3);
    await inSpan('trigger', {}, () => queue.send([{ messageId: 'x', body: { kind: 'score', jobId: 'j2' } }]));
    let attempts = 0;
    const deadLettered = await pump(
      queue,
      () => {
        attempts += 1;
        return Promise.reject(
          attempts === 1
            ? new TransientError('store busy')
            : new PermanentError('model missing', { code: 'ModelNotFound' }),
        );
      },
      () => attempts === 2,
    );
    // The second attempt's span ends once its dead-letter has settled: wait for it.
    for (let i = 0; i < 50 && (await spans()).filter((s) => s.name === 'process score').length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(deadLettered).toEqual(['ModelNotFound']);
    const consumed = (await spans()).filter((s) => s.name === 'process score');
    expect(consumed.map((s) => s.attributes['tessera.outcome'])).toEqual(['retried', 'dead_lettered']);
    expect(consumed.map((s) => s.status)).toEqual([
      { code: SpanStatusCode.ERROR, message: 'store busy' },
      { code: SpanStatusCode.ERROR, message: 'model missing' },
    ]);
    expect(consumed.map((s) => s.attributes['messaging.delivery_count'])).toEqual([1, 2]);
    expect(new Set(consumed.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('a message with no or a malformed traceparent starts its own trace instead of failing', async () => {
    const raw = openSqliteWorkQueue({ file: join(dir, 'raw.sqlite'), queue: 'raw', lockDurationMs: 5000 });
    await raw.send([
      { messageId: 'none', body: { kind: 'score' } },
      { messageId: 'bad', body: { kind: 'score' }, applicationProperties: { traceparent: 'not-a-traceparent' } },
    ]);
    let handled = 0;
    await pump(
      raw,
      () => {
        handled += 1;
        return Promise.resolve();
      },
      () => handled === 2,
    );
    const consumed = (await spans()).filter((s) => s.name === 'process score');
    expect(consumed).toHaveLength(2);
    for (const s of consumed) expect(s.parentSpanContext).toBeUndefined();
    expect(new Set(consumed.map((s) => s.spanContext().traceId)).size).toBe(2);
    await raw.close();
  });

  it('the context survives the Service Bus adapter and the real SDK (test broker)', async () => {
    const broker = await startTestBroker();
    broker.createQueue('traced');
    const queue = tracedQueue(
      serviceBusWorkQueueFromConnectionString(broker.connectionString, 'traced', {
        lockDurationMs: 30_000,
        maxDeliveryCount: 5,
      }),
    );
    try {
      let sentWith = '';
      await inSpan('trigger', {}, async () => {
        sentWith = withTraceContext({})[TRACEPARENT] as string;
        await queue.send([{ messageId: 'sb', body: { kind: 'plan' } }]);
      });
      const [received] = await queue.receive({ maxWaitMs: 2000 });
      const carried = received?.applicationProperties[TRACEPARENT];
      expect(carried).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      // Same trace as the trigger; the parent is the send span, not the trigger itself.
      expect(String(carried).split('-')[1]).toBe(sentWith.split('-')[1]);
      expect(trace.getSpanContext(traceContextOf(received?.applicationProperties))?.traceId).toBe(
        sentWith.split('-')[1],
      );
      await queue.complete(received!);
    } finally {
      await queue.close();
      await broker.stop();
    }
  });

  it("a Functions invocation continues the trace its Service Bus message carries, else the host's", async () => {
    const handler = tracedHandler('pubsub', 'controlQueue', () => Promise.resolve('ok'));
    expect(handler.name).toBe('controlQueue');
    const carried = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const host = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await handler(
      undefined,
      new InvocationContext({
        functionName: 'controlQueue',
        invocationId: 'i1',
        traceContext: { traceParent: host },
        triggerMetadata: { applicationProperties: { traceparent: carried } },
      }),
    );
    await handler(
      undefined,
      new InvocationContext({
        functionName: 'controlQueue',
        invocationId: 'i2',
        traceContext: { traceParent: host },
        triggerMetadata: {},
      }),
    );
    const invoked = (await spans()).filter((s) => s.name === 'function controlQueue');
    expect(
      invoked.map((s) => [s.spanContext().traceId, s.parentSpanContext?.spanId, s.attributes['faas.invocation_id']]),
    ).toEqual([
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'i1'],
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 'i2'],
    ]);
    expect(invoked.every((s) => s.kind === SpanKind.CONSUMER)).toBe(true);
  });
});
