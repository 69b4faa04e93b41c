import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLine } from '../../src/hosting/logger.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/setup.js';
import { inSpan } from '../../src/telemetry/tracing.js';

describe('TESSERA_TELEMETRY=console', () => {
  const written: string[] = [];
  let telemetry: Telemetry;
  beforeAll(async () => {
    telemetry = await startTelemetry({
      service: 'tessera-cli',
      env: { TESSERA_TELEMETRY: 'console', TESSERA_TELEMETRY_METRICS_MS: '100000' },
      write: (line) => written.push(line),
    });
  });
  afterAll(() => telemetry.shutdown());

  it('writes one JSON line per finished span, with its trace, parent, duration and error; log lines inside a span carry its ids', async () => {
    const logged: LogLine[] = [];
    const log = createLogger({ sink: (line) => logged.push(line) });
    await inSpan('outer', { attributes: { 'tessera.job.id': 'j1' } }, async () => {
      log.info('inside');
      await inSpan('inner', {}, () => Promise.reject(new Error('model missing'))).catch(() => undefined);
    });
    log.info('outside');
    await telemetry.flush();
    const spans = written.map((l) => JSON.parse(l) as Record<string, unknown>);
    const outer = spans.find((s) => s.span === 'outer');
    const inner = spans.find((s) => s.span === 'inner');
    expect(outer).toMatchObject({ service: 'tessera-cli', status: 'ok', attributes: { 'tessera.job.id': 'j1' } });
    expect(inner).toMatchObject({
      traceId: outer?.traceId,
      parentSpanId: outer?.spanId,
      status: 'error',
      error: 'model missing',
    });
    expect(typeof inner?.durationMs).toBe('number');
    expect(logged[0]).toMatchObject({ msg: 'inside', traceId: outer?.traceId, spanId: outer?.spanId });
    expect(logged[1]?.traceId).toBeUndefined();
    expect(telemetry.mode).toBe('console');
  });
});
