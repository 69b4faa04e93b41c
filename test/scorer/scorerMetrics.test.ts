/**
 * The scorer's one metrics path: the OpenTelemetry instruments, read by the Prometheus exporter that
 * startTelemetry attaches as a pull reader (here with telemetry off, so nothing else exports), served
 * on the health server's /metrics. Every message the pump settles is counted once, by outcome, with
 * the failure's code as error_type; the scorer's gauges read its state at scrape time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteWorkQueue } from '../../src/adapters/local/sqliteWorkQueue.js';
import { PermanentError, TransientError } from '../../src/core/errors.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { runMessagePump } from '../../src/hosting/messagePump.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/setup.js';
import { startHealthServer, type HealthServer } from '../../scorer-image/src/healthServer.js';
import { countDroppedAtStop, createPrometheusReader, observeScorer } from '../../scorer-image/src/scorerMetrics.js';
import { metricValue } from '../support/scorer/scorerProcess.js';

describe('scorer metrics: OpenTelemetry instruments on /metrics', () => {
  const prometheus = createPrometheusReader();
  let health: HealthServer;
  let telemetry: Telemetry;
  let dir: string;
  const scrape = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${health.port}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-scorer-metrics-'));
    health = await startHealthServer({
      port: 0,
      readiness: () => undefined,
      metrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    });
  });
  afterAll(async () => {
    await health?.close();
    await telemetry?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers before telemetry starts, then serves every settled message once, by outcome and error code', async () => {
    expect(await scrape()).toMatch(/^# failed to export metrics/);
    telemetry = await startTelemetry({ service: 'tessera-scorer', env: {}, metricReaders: [prometheus] });
    expect(telemetry.mode).toBe('off');

    const queue = openSqliteWorkQueue({
      file: join(dir, 'jobs.sqlite'),
      queue: 'jobs',
      lockDurationMs: 5000,
      maxDeliveryCount: 3,
    });
    await queue.send([
      { messageId: 'bad', body: { kind: 'score', jobId: 'j1', shardId: 's1' } },
      { messageId: 'good', body: { kind: 'score', jobId: 'j1', shardId: 's2' } },
    ]);
    const attempts = new Map<string, number>();
    const stop = new AbortController();
    const pumping = runMessagePump(
      {
        queue,
        handle: (body) => {
          const shard = (body as { shardId: string }).shardId;
          const n = (attempts.get(shard) ?? 0) + 1;
          attempts.set(shard, n);
          if (shard === 's2') return Promise.resolve();
          return Promise.reject(
            n === 1 ? new TransientError('store busy') : new PermanentError('model missing', { code: 'ModelNotFound' }),
          );
        },
        onDeadLetter: () => Promise.resolve(),
        log: createRecordingLogger(),
        waitMs: 50,
        // The transient failure is redelivered after 0.1-0.2 s, not the production 7.5-15 s.
        retry: { baseMs: 200, maxMs: 1_000 },
      },
      stop.signal,
    );
    await expect.poll(async () => metricValue(await scrape(), 'tessera_messages_total'), { timeout: 20_000 }).toBe(3);
    stop.abort();
    await pumping;
    await queue.close();

    const text = await scrape();
    const count = (labels: Record<string, string>) => metricValue(text, 'tessera_messages_total', labels);
    expect(count({ queue: 'jobs', kind: 'score', outcome: 'completed' })).toBe(1);
    expect(count({ outcome: 'retried', error_type: 'Transient' })).toBe(1);
    expect(count({ outcome: 'dead_lettered', error_type: 'ModelNotFound' })).toBe(1);
    expect(text).not.toMatch(/tessera_messages_total\{[^}]*outcome="completed"[^}]*error_type/);
    expect(metricValue(text, 'tessera_message_duration_count', { outcome: 'completed' })).toBe(1);
  });

  it("observes the scorer's state when scraped, and counts messages handed back at stop under the same name", async () => {
    const state = {
      ready: false,
      draining: false,
      inFlight: 0,
      proven: undefined as { requested: string; provider: string } | undefined,
    };
    observeScorer({
      ready: () => state.ready,
      draining: () => state.draining,
      inFlight: () => state.inFlight,
      executionProvider: () => state.proven,
    });
    let text = await scrape();
    expect(metricValue(text, 'tessera_scorer_ready')).toBe(0);
    expect(metricValue(text, 'tessera_scorer_execution_provider')).toBeUndefined();
    expect(metricValue(text, 'process_memory_usage') ?? 0).toBeGreaterThan(1_000_000);

    Object.assign(state, { ready: true, inFlight: 2, proven: { requested: 'cpu', provider: 'CPUExecutionProvider' } });
    countDroppedAtStop('jobs', { kind: 'style' });
    text = await scrape();
    expect(metricValue(text, 'tessera_scorer_ready')).toBe(1);
    expect(metricValue(text, 'tessera_scorer_draining')).toBe(0);
    expect(metricValue(text, 'tessera_scorer_messages_in_flight')).toBe(2);
    expect(
      metricValue(text, 'tessera_scorer_execution_provider', { requested: 'cpu', provider: 'CPUExecutionProvider' }),
    ).toBe(1);
    expect(metricValue(text, 'tessera_messages_total', { kind: 'style', outcome: 'dropped_at_stop' })).toBe(1);
  });
});
