import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, runCli } from '../support/cli.js';
import { counterTotal, startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlpCollector.js';
import { makeVideo } from '../support/video/media.js';

const PRODUCER = 4;
const CONSUMER = 5;
const ERROR = 2;

describe('one trace per job across processes (the real bin, OTLP/HTTP to a loopback collector)', () => {
  let collector: OtlpCollector;
  let home: ReturnType<typeof cliHome>;

  beforeAll(async () => {
    collector = await startOtlpCollector();
    home = cliHome({
      TESSERA_TELEMETRY: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      TESSERA_TELEMETRY_METRICS_MS: '500',
      TESSERA_VIDEO_PRESET: 'ultrafast',
      TESSERA_VIDEO_MAX_SHARD_FRAMES: '4',
    });
    await makeVideo(join(home.dir, 'clip.mp4'), { frames: 8, audio: true });
  });
  afterAll(async () => {
    home.cleanup();
    await collector.close();
  });

  it('a video job: trigger, queue, workers, ffmpeg and ONNX spans in one trace, no orphans; message metrics exported', async () => {
    const run = await runCli(home, ['run', 'clip.mp4', '--model', 'toon', '--out', 'out'], 90_000);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(home.dir, 'out', 'summary.json'), 'utf8')) as {
      jobId: string;
      state: string;
    };
    expect(summary.state).toBe('succeeded');
    expect(collector.rejected).toEqual([]);

    // Every process flushed before it exited, so everything is in by now.
    const submit = collector.spans.find(
      (s) => s.name === 'submit job' && s.attributes['tessera.job.id'] === summary.jobId,
    );
    expect(submit?.service).toBe('tessera-cli');
    const trace = collector.spans.filter((s) => s.traceId === submit?.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const named = (name: string): CollectedSpan[] => trace.filter((s) => s.name === name);

    // The job's whole life is one trace: CLI, then both kinds of worker message, with the tools inside.
    expect(named('process plan')).toHaveLength(1);
    expect(named('process style')).toHaveLength(2);
    expect(named('process finish')).toHaveLength(1);
    expect(named('ffprobe').length).toBeGreaterThan(0);
    expect(named('ffmpeg').length).toBeGreaterThanOrEqual(4); // a decoder and an encoder per range, then the stitch
    expect(named('onnx style').reduce((n, s) => n + Number(s.attributes['tessera.frames']), 0)).toBe(8);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['tessera-cli', 'tessera-worker']));
    expect(new Set(trace.map((s) => s.pid)).size).toBeGreaterThanOrEqual(2);

    // No orphans: every span but the trigger's root has its parent in the trace.
    const roots = trace.filter((s) => !s.parentSpanId || !byId.has(s.parentSpanId));
    expect(roots.map((s) => s.name)).toEqual(['submit job']);
    // Each consumer span continues a producer span (the context travelled in the message's properties) …
    for (const consumer of trace.filter((s) => s.kind === CONSUMER)) {
      const parent = byId.get(consumer.parentSpanId ?? '');
      expect(parent?.kind, consumer.name).toBe(PRODUCER);
      expect(consumer.attributes['tessera.job.id']).toBe(summary.jobId);
      expect(consumer.attributes['tessera.outcome']).toBe('completed');
    }
    // … and the model runs and the tool processes sit under the style messages that ran them.
    const ancestorNamed = (span: CollectedSpan, name: string): boolean => {
      for (let p = byId.get(span.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? ''))
        if (p.name === name) return true;
      return false;
    };
    for (const span of named('onnx style')) expect(ancestorNamed(span, 'process style')).toBe(true);
    expect(trace.filter((s) => s.statusCode === ERROR)).toEqual([]);

    // Metrics, cumulative per worker process: both ranges completed, every frame through the model once.
    expect(counterTotal(collector.metrics, 'tessera.messages', { kind: 'style', outcome: 'completed' })).toBe(2);
    expect(counterTotal(collector.metrics, 'tessera.frames', { model: 'toon' })).toBe(8);
    expect(collector.metrics.some((m) => m.name === 'tessera.message.duration' && m.service === 'tessera-worker')).toBe(
      true,
    );
  }, 120_000);
});
