/**
 * Two scorer entry-point processes (compiled, dist/scorer-image/src/main.js, as the image runs it) against the
 * test broker and Azurite, with the Functions app's control-queue handler driven in-process:
 * a batch anomaly job and a short video job complete with the right outputs, then a scorer
 * SIGTERMed while it holds a shard hands it back at its drain deadline, the other scorer
 * completes it, and nothing is written twice.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { styledOutputBlob } from '../../src/usecases/video/videoPaths.js';
import { inboxBlobCreated } from '../../functions/src/functions/inboxBlobCreated.js';
import { readScores, readWindows } from '../support/fixtures.js';
import { MAX_DELIVERIES, openAzureWorld, type AzureWorld } from '../functions/support/azureWorld.js';
import { startControlLoop, type ControlLoop } from '../support/scorer/controlLoop.js';
import {
  expectedWindows,
  registerOracleModels,
  resultLines,
  sensorSlice,
  skylineSection,
  videoFrames,
  waitForJob,
} from '../support/scorer/scorerJobs.js';
import { metricValue, startScorer, type ScorerProcess } from '../support/scorer/scorerProcess.js';
import { counterTotal, startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlpCollector.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/setup.js';

const LOCK_MS = 10_000;
const CUDA_PROVIDER = join(
  createRequire(import.meta.url)
    .resolve('onnxruntime-node')
    .replace(/dist\/.*$/, ''),
  'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
);

describe('the scorer image entry point: two workers on Service Bus (test broker) and Azurite', () => {
  let world: AzureWorld;
  let control: ControlLoop;
  let scratch: string;
  const scorers: ScorerProcess[] = [];
  // Traces: this process plays the Functions app, the scorers are their own processes; all export to one loopback collector.
  let collector: OtlpCollector;
  let telemetry: Telemetry;
  const otlp = (): Record<string, string> => ({
    TESSERA_TELEMETRY: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    TESSERA_TELEMETRY_METRICS_MS: '1000',
  });

  beforeAll(async () => {
    collector = await startOtlpCollector();
    telemetry = await startTelemetry({ service: 'tessera-functions', env: otlp() });
    // Anomaly planning runs in-process (the Functions app) with small shards; video plan and finish are
    // forwarded to the scorers, which get the same range settings (at most 8 frames).
    world = await openAzureWorld({
      TESSERA_WINDOWS_PER_SHARD: '15',
      TESSERA_VIDEO_SHARD_SECONDS: '1',
      TESSERA_VIDEO_MAX_SHARD_FRAMES: '8',
      TESSERA_LOG_LEVEL: 'info',
    });
    await registerOracleModels(world.ctx);
    control = startControlLoop(world);
    scratch = mkdtempSync(join(tmpdir(), 'tessera-scorer-e2e-'));
  });
  afterAll(async () => {
    await telemetry?.shutdown();
    await collector?.close();
    for (const s of scorers) s.kill();
    await control?.stop();
    await world?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const scorer = (name: string, env: Record<string, string> = {}): ScorerProcess => {
    const { settings } = world.ctx;
    const s = startScorer(name, {
      TESSERA_STORAGE_CONNECTION_STRING: inject('azuriteConnectionString'),
      TESSERA_SERVICEBUS_CONNECTION_STRING: world.broker.connectionString,
      TESSERA_WORK_QUEUE: settings.workQueue,
      TESSERA_CONTROL_QUEUE: settings.controlQueue,
      TESSERA_LEDGER_TABLE: settings.ledgerTable,
      TESSERA_LOCK_MS: String(LOCK_MS),
      TESSERA_MAX_DELIVERIES: String(MAX_DELIVERIES),
      TESSERA_HOME: mkdtempSync(join(scratch, `${name}-`)),
      TESSERA_HEALTH_PORT: '0',
      TESSERA_VIDEO_PRESET: 'ultrafast',
      // Video plan and finish run on the scorers (they need ffmpeg): the same range settings as the world's.
      TESSERA_VIDEO_SHARD_SECONDS: '1',
      TESSERA_VIDEO_MAX_SHARD_FRAMES: '8',
      TESSERA_LOG_LEVEL: 'info',
      ...otlp(),
      ...env,
    });
    scorers.push(s);
    return s;
  };

  const submit = async (name: string, body: Buffer | string): Promise<string> => {
    await world.ctx.blobs.put(CONTAINERS.inbox, name, body);
    await inboxBlobCreated(undefined, world.invocation('inboxBlobCreated', { name }));
    const job = (await world.ctx.ledger.listJobs()).find((j) => j.input.name === name);
    if (!job) throw new Error(`no job for ${name}`);
    return job.jobId;
  };

  const metrics = async (s: ScorerProcess): Promise<string> => {
    const r = await s.get('/metrics');
    expect(r.status).toBe(200);
    return r.text;
  };

  it('completes a batch anomaly job and a short video job across both workers, with probes and metrics', async () => {
    const [a, b] = [
      scorer('scorer-a', { TESSERA_SCORER_CONCURRENCY: '2' }),
      scorer('scorer-b', { TESSERA_SCORER_CONCURRENCY: '2' }),
    ];
    for (const s of [a, b]) {
      expect((await s.get('/healthz')).status).toBe(200);
      await s.waitFor((l) => l.msg === 'scorer ready');
      expect(await s.get('/readyz')).toEqual({ status: 200, text: JSON.stringify({ status: 'ready' }) });
      expect((await s.get('/nope')).status).toBe(404);
    }

    const id = randomBytes(3).toString('hex');
    const sensors = sensorSlice(3000);
    const clip = await skylineSection(join(scratch, 'clip.mp4'), 1);
    const clipName = `skyline-${id}.mp4`;
    const [anomalyJob, videoJob] = [
      await submit(`sensors-${id}.csv`, sensors.csv),
      await submit(clipName, readFileSync(clip)),
    ];

    const [anomaly, video] = await Promise.all([
      waitForJob(world.ctx, anomalyJob, 45_000),
      waitForJob(world.ctx, videoJob, 45_000),
    ]);
    expect(anomaly.job.state, anomaly.job.error).toBe('succeeded');
    expect(video.job.state, video.job.error).toBe('succeeded');
    expect(anomaly.shards.total).toBeGreaterThan(15); // several shards per series: work for both workers
    expect(video.shards.total).toBeGreaterThanOrEqual(3); // several frame ranges

    // Anomaly: every input row accounted for; each window once; full windows score as scikit-learn does.
    expect(anomaly.rowsDone).toBe(3000);
    const scores = await resultLines(world.ctx, anomalyJob, 'scores.csv');
    const windows = scores.map((l) => l.split(',').slice(0, 3).join(','));
    expect(new Set(windows).size).toBe(windows.length);
    expect(new Set(windows)).toEqual(expectedWindows(sensors.rows));
    // A window the slice cut short differs from the oracle's (made from the whole file): compare the windows whose count and mean agree.
    const oracleWindows = new Map(readWindows().map((w) => [`${w.device},${w.tag},${w.windowStart}`, w]));
    const oracleScores = new Map(readScores().map((r) => [`${r.device},${r.tag},${r.windowStart}`, r.decision]));
    const compared = scores
      .map((l) => l.split(','))
      .filter((c) => {
        const w = oracleWindows.get(c.slice(0, 3).join(','));
        return w !== undefined && w.count === Number(c[4]) && Math.abs(w.features[0] - Number(c[5])) < 1e-6;
      });
    expect(compared.length).toBeGreaterThan(500);
    for (const c of compared)
      expect(Math.abs(Number(c[9]) - oracleScores.get(c.slice(0, 3).join(','))!)).toBeLessThan(1e-4);

    // Video: the styled clip has exactly the input's frames.
    const styled = join(scratch, 'styled.mp4');
    writeFileSync(
      styled,
      await world.ctx.blobs
        .get(CONTAINERS.results, styledOutputBlob(videoJob, clipName))
        .then(async (d) => Buffer.concat((await d.stream.toArray()) as Buffer[])),
    );
    const frames = await videoFrames(clip);
    expect(frames).toBeGreaterThanOrEqual(20);
    expect(await videoFrames(styled)).toBe(frames);

    // Metrics (/metrics, the OpenTelemetry instruments under their Prometheus names): both workers
    // took shards; together they account for every shard, window and frame once, and nothing failed.
    const [ma, mb] = [await metrics(a), await metrics(b)];
    const sum = (name: string, labels: Record<string, string> = {}) =>
      (metricValue(ma, name, labels) ?? 0) + (metricValue(mb, name, labels) ?? 0);
    for (const m of [ma, mb]) {
      expect(metricValue(m, 'tessera_messages_total', { outcome: 'completed' }) ?? 0).toBeGreaterThan(0);
      expect(
        metricValue(m, 'tessera_scorer_execution_provider', { requested: 'cpu', provider: 'CPUExecutionProvider' }),
      ).toBe(1);
      expect(metricValue(m, 'tessera_scorer_messages_in_flight')).toBe(0);
      expect(metricValue(m, 'tessera_scorer_ready')).toBe(1);
      expect(metricValue(m, 'process_memory_usage') ?? 0).toBeGreaterThan(0);
      expect(m).not.toContain('tessera_scorer_shards_total'); // one name per signal: the pump's tessera.messages
    }
    expect(sum('tessera_messages_total', { kind: 'score', outcome: 'completed' })).toBe(anomaly.shards.total);
    expect(sum('tessera_messages_total', { kind: 'style', outcome: 'completed' })).toBe(video.shards.total);
    expect(sum('tessera_message_duration_count', { kind: 'score' })).toBe(anomaly.shards.total);
    expect(sum('tessera_windows_total')).toBe(windows.length);
    expect(sum('tessera_frames_total')).toBe(frames);
    expect(sum('tessera_messages_total')).toBe(sum('tessera_messages_total', { outcome: 'completed' }));
    // Structured lines, the use cases' own included, carry the worker, the pump and the message.
    expect(
      a.lines.some(
        (l) =>
          l.msg === 'shard started' && l.worker === 'scorer-a' && l.pump !== undefined && typeof l.jobId === 'string',
      ),
    ).toBe(true);
    expect(
      [...a.lines, ...b.lines].some(
        (l) =>
          l.msg === 'shard done' &&
          l.pump !== undefined &&
          typeof l.messageId === 'string' &&
          typeof l.shardId === 'string',
      ),
    ).toBe(true);

    // Idle workers drain at once and exit 0.
    for (const s of [a, b]) s.signal('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    expect(a.lines.find((l) => l.msg === 'drained')).toMatchObject({ outcome: 'finished' });

    // One trace per job, across this process (the Functions app) and both scorers (flushed as they exited):
    // the blob trigger's invocation, the control-queue invocations, every shard on whichever scorer took it,
    // and under the video's shards the ffmpeg processes and the model runs.
    await telemetry.flush();
    expect(collector.rejected).toEqual([]);
    for (const [jobId, kind, shards] of [
      [anomalyJob, 'score', anomaly.shards.total],
      [videoJob, 'style', video.shards.total],
    ] as const) {
      const submitted = collector.spans.find(
        (sp) => sp.name === 'submit job' && sp.attributes['tessera.job.id'] === jobId,
      );
      expect(submitted?.service).toBe('tessera-functions');
      const trace = collector.spans.filter((sp) => sp.traceId === submitted?.traceId);
      const ids = new Set(trace.map((sp) => sp.spanId));
      const roots = trace.filter((sp) => !sp.parentSpanId || !ids.has(sp.parentSpanId));
      expect(
        roots.map((sp) => sp.name),
        jobId,
      ).toEqual(['function inboxBlobCreated']);
      const processed = trace.filter((sp) => sp.name === `process ${kind}`);
      expect(processed, jobId).toHaveLength(shards);
      expect(new Set(processed.map((sp) => sp.service))).toEqual(new Set(['tessera-scorer']));
      expect(trace.filter((sp) => sp.name === 'function controlQueue').length).toBeGreaterThanOrEqual(2); // plan and finish
      const byId = new Map(trace.map((sp) => [sp.spanId, sp]));
      const under = (sp: CollectedSpan, name: string): boolean => {
        for (let p = byId.get(sp.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? ''))
          if (p.name === name) return true;
        return false;
      };
      const modelRuns = trace.filter((sp) => sp.name === (kind === 'style' ? 'onnx style' : 'onnx score'));
      expect(modelRuns.length).toBeGreaterThan(0);
      for (const run of modelRuns) expect(under(run, `process ${kind}`)).toBe(true);
      if (kind === 'style') {
        expect(
          trace.filter((sp) => sp.name === 'ffmpeg' && sp.service === 'tessera-scorer' && under(sp, 'process style'))
            .length,
        ).toBeGreaterThanOrEqual(2 * shards);
        // The video's plan (ffprobe) and finish (the stitch) ran on a scorer: the control trigger forwarded them.
        for (const step of ['process plan', 'process finish'])
          expect(trace.filter((sp) => sp.name === step).map((sp) => sp.service)).toEqual(['tessera-scorer']);
      } else {
        expect(trace.filter((sp) => sp.name === 'process plan' || sp.name === 'process finish')).toEqual([]); // anomaly: planned and finished in the Functions app
      }
    }
    // Both scorers' spans arrived (their pids differ), and their OpenTelemetry metrics too.
    expect(new Set(collector.spans.filter((sp) => sp.name === 'process score').map((sp) => sp.pid)).size).toBe(2);
    const fromScorers = collector.metrics.filter((m) => m.service === 'tessera-scorer');
    expect(counterTotal(fromScorers, 'tessera.messages', { kind: 'score', outcome: 'completed' })).toBe(
      anomaly.shards.total,
    );
    expect(counterTotal(fromScorers, 'tessera.windows')).toBe(windows.length);
    expect(counterTotal(fromScorers, 'tessera.frames')).toBe(frames);
  }, 80_000);

  it('SIGTERM while a worker holds a shard: not ready, the shard is abandoned at the drain deadline and completed by the other worker, nothing duplicated', async () => {
    for (const s of scorers) s.kill(); // the first test's, if it failed before stopping them
    // Every shard sleeps 4 s inside the worker; the victim's drain bound (2 s) is shorter, so it must give its shard back.
    const slow = { TESSERA_FAULT_SHARD_DELAY_MS: '4000', TESSERA_SCORER_CONCURRENCY: '1' };
    const victim = scorer('scorer-victim', { ...slow, TESSERA_DRAIN_SECONDS: '2' });
    const survivor = scorer('scorer-survivor', slow);
    await Promise.all([victim, survivor].map((s) => s.waitFor((l) => l.msg === 'scorer ready')));

    const sensors = sensorSlice(3000, (device, tag) => device === '1' && tag === '1');
    const jobId = await submit(`series-1-1-${randomBytes(3).toString('hex')}.csv`, sensors.csv);
    const held = await victim.waitFor((l) => l.msg === 'shard started' && l.jobId === jobId);
    const signalledAt = Date.now();
    victim.signal('SIGTERM');
    await victim.waitFor((l) => l.msg === 'draining');
    expect(await victim.get('/healthz')).toMatchObject({ status: 200 });
    expect(await victim.get('/readyz')).toEqual({
      status: 503,
      text: JSON.stringify({ status: 'not ready', reason: 'draining' }),
    });
    const during = await metrics(victim);
    expect(metricValue(during, 'tessera_scorer_messages_in_flight')).toBe(1);
    expect(metricValue(during, 'tessera_scorer_draining')).toBe(1);
    expect(metricValue(during, 'tessera_scorer_ready')).toBe(0);

    expect(await victim.exited).toBe(0);
    // Out within its drain bound (2 s) plus closing: nothing it left behind held the process.
    expect(Date.now() - signalledAt).toBeLessThan(4_500);
    expect(victim.lines.find((l) => l.msg === 'shard abandoned for redelivery')).toMatchObject({
      jobId,
      shardId: held.shardId,
    });
    expect(victim.lines.find((l) => l.msg === 'drained')).toMatchObject({ outcome: 'abandoned' });
    expect(victim.lines.some((l) => l.msg === 'shard handled')).toBe(false);
    // Its pump counted the shard it gave back once, as given back (the victim flushed its metrics as it stopped).
    const fromVictim = collector.metrics.filter((m) => m.pid === victim.pid);
    expect(
      counterTotal(fromVictim, 'tessera.messages', { outcome: 'lock_lost', 'error.type': 'MessageAbandoned' }),
    ).toBe(1);
    expect(counterTotal(fromVictim, 'tessera.messages', { outcome: 'completed' })).toBe(0);

    const progress = await waitForJob(world.ctx, jobId, 45_000);
    expect(progress.job.state, progress.job.error).toBe('succeeded');
    expect(progress.shards).toMatchObject({ done: progress.shards.total, failed: 0 });
    expect(progress.rowsDone).toBe(sensors.rows.length);
    // The abandoned shard ran again, on the survivor.
    expect((await world.ctx.ledger.getShard(jobId, String(held.shardId)))?.attempts).toBeGreaterThanOrEqual(2);
    await survivor.waitFor((l) => l.msg === 'shard handled' && l.shardId === held.shardId, 5_000);
    // Each window once, none missing.
    const windows = (await resultLines(world.ctx, jobId, 'scores.csv')).map((l) => l.split(',').slice(0, 3).join(','));
    expect(new Set(windows).size).toBe(windows.length);
    expect(new Set(windows)).toEqual(expectedWindows(sensors.rows));

    const after = await metrics(survivor);
    expect(metricValue(after, 'tessera_messages_total', { kind: 'score', outcome: 'completed' })).toBe(
      progress.shards.total,
    );
    expect(metricValue(after, 'tessera_lock_renewals_total', { result: 'ok' }) ?? 0).toBeGreaterThan(0);
    survivor.signal('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 60_000);

  it('stops with a clear log and exit code 1 instead of spinning when it cannot receive (no such queue)', async () => {
    const lost = scorer('scorer-lost', {
      TESSERA_WORK_QUEUE: `no-such-queue-${randomBytes(3).toString('hex')}`,
      TESSERA_SCORER_CONCURRENCY: '2',
    });
    expect(await lost.exited).toBe(1);
    expect(lost.lines.find((l) => l.msg === 'message pump stopped: the scorer cannot go on')).toMatchObject({
      level: 'error',
      code: 'NotFound',
    });
    expect(lost.lines.at(-1)).toMatchObject({ msg: 'scorer stopped', exitCode: 1 });
  }, 30_000);

  // Where onnxruntime-node's CUDA provider is not installed (allowScripts denies the install script that would fetch it; the gpu image runs it).
  it.skipIf(existsSync(CUDA_PROVIDER))(
    'exits 1 without ever being ready when its execution provider cannot run (cuda here)',
    async () => {
      const gpu = scorer('scorer-gpu', { TESSERA_EP: 'cuda' });
      expect(await gpu.exited).toBe(1);
      expect(gpu.lines.find((l) => l.msg === 'scorer failed')).toMatchObject({
        level: 'error',
        code: 'ExecutionProviderUnavailable',
      });
      expect(gpu.lines.some((l) => l.msg === 'scorer ready')).toBe(false);
    },
    30_000,
  );
});
