import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, PermanentError, TransientError } from '../../src/core/errors.js';
import {
  createScoringEngine,
  type ModelKey,
  type ScoringEngine,
  type ScoringEngineOptions,
} from '../../src/engine/scoringEngine.js';
import { sha256Hex } from '../../src/onnx/modelInfo.js';
import { decodeModel, encodeModel, type Model } from '../../src/onnx/onnxProto.js';
import {
  bySeries,
  featureMatrix,
  ocsvmModelPath,
  readOcsvmManifest,
  readScores,
  readWindows,
  type OcsvmModelEntry,
} from '../support/fixtures.js';

const manifest = readOcsvmManifest();
const windows = bySeries(readWindows());
const scores = new Map(readScores().map((s) => [`${s.device}-${s.tag}-${s.windowStart}`, s]));

let engine: ScoringEngine | undefined;
function newEngine(options: ScoringEngineOptions = {}): ScoringEngine {
  engine = createScoringEngine(options);
  return engine;
}
afterEach(async () => {
  await engine?.dispose();
  engine = undefined;
});

function fixture(entry: OcsvmModelEntry): { key: ModelKey; bytes: Buffer } {
  return {
    key: { name: `ocsvm-${entry.device}-${entry.tag}`, version: 1, sha256: entry.sha256 },
    bytes: readFileSync(ocsvmModelPath(entry)),
  };
}

function variant(edit: (model: Model) => void, name = 'variant'): { key: ModelKey; bytes: Buffer } {
  const model = decodeModel(readFileSync(ocsvmModelPath(manifest.models[0]!)));
  edit(model);
  const bytes = encodeModel(model);
  return { key: { name, version: 1, sha256: sha256Hex(bytes) }, bytes };
}

describe('scoring engine: scikit-learn oracle', () => {
  it.each([true, false])(
    'optimize=%s reproduces decision_function within 1e-4 on every window of all 15 models',
    async (optimize) => {
      const e = newEngine({ optimize, batchSize: 1000 });
      let worst = 0;
      let compared = 0;
      for (const entry of manifest.models) {
        const { key, bytes } = fixture(entry);
        const session = await e.load(key, bytes, { features: 4 });
        expect(session.rewritten).toBe(optimize ? 2 : 0);
        const rows = windows.get(`${entry.device}-${entry.tag}`)!;
        const result = await e.score(session, featureMatrix(rows), rows.length, 4);
        rows.forEach((row, i) => {
          const oracle = scores.get(`${row.device}-${row.tag}-${row.windowStart}`)!;
          const score = result.scores[i]!;
          worst = Math.max(worst, Math.abs(score - oracle.decision));
          if (Math.abs(oracle.decision) > 1e-4)
            expect(result.labels[i], `${key.name} ${row.windowStart}`).toBe(oracle.label);
          compared++;
        });
      }
      expect(compared).toBe(scores.size);
      expect(worst).toBeLessThanOrEqual(1e-4);
    },
  );

  it('gives the same results whatever the batch size', async () => {
    const { key, bytes } = fixture(manifest.models[3]!);
    const rows = windows.get(`${manifest.models[3]!.device}-${manifest.models[3]!.tag}`)!;
    const x = featureMatrix(rows);
    const small = newEngine({ batchSize: 7 });
    const a = await small.score(await small.load(key, bytes), x, rows.length, 4);
    await small.dispose();
    const big = newEngine({ batchSize: 100_000 });
    const b = await big.score(await big.load(key, bytes), x, rows.length, 4);
    expect(a.scores).toEqual(b.scores);
    expect(a.labels).toEqual(b.labels);
  });

  it('labels by the sign of the score when the model has no label output', async () => {
    const { key, bytes } = variant((m) => {
      m.graph!.node = m.graph!.node!.filter((n) => n.opType !== 'Sign' && n.opType !== 'Cast');
      m.graph!.output = m.graph!.output!.filter((o) => o.name === 'scores');
    }, 'no-label');
    const e = newEngine({ optimize: false });
    const session = await e.load(key, bytes, { features: 4 });
    expect(session.signature.labelOutput).toBeUndefined();
    const x = Float32Array.from([11.29, 0.94, 10.16, 12.46, 50, 3, 40, 60]);
    const result = await e.score(session, x, 2, 4);
    expect(Array.from(result.labels)).toEqual(Array.from(result.scores).map((s) => Math.sign(s)));
  });
});

describe('scoring engine: refusals', () => {
  it('refuses bytes whose sha256 is not the expected one, before creating a session', async () => {
    const { key, bytes } = fixture(manifest.models[0]!);
    const e = newEngine();
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 1] = tampered.at(-1)! ^ 0x01;
    for (const [k, b] of [
      [key, tampered],
      [{ ...key, sha256: manifest.models[1]!.sha256 }, bytes],
    ] as const) {
      const error = await e.load(k, b).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).code).toBe('ModelChecksumMismatch');
      expect((error as Error).message).toContain('ocsvm-1-1@1');
    }
    expect(e.cachedSessions).toBe(0);
  });

  it('refuses a model whose input is not float32 [N, F] for the expected F', async () => {
    const e = newEngine();
    const wide = variant((m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = { dimValue: 5 };
    }, 'wide');
    const error = await e.load(wide.key, wide.bytes, { features: 4 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('ModelSignatureMismatch');
    expect((error as Error).message).toContain('model wide@1');
    expect((error as Error).message).toContain('float_input float32 [?, 5]');

    const doubles = variant((m) => {
      m.graph!.input![0]!.type!.tensorType!.elemType = 11;
    }, 'doubles');
    await expect(e.load(doubles.key, doubles.bytes, { features: 4 })).rejects.toThrow(
      /doubles@1: input float_input float64 \[\?, 4\]/,
    );

    const { key, bytes } = fixture(manifest.models[0]!);
    await expect(e.load(key, bytes, { features: 3 })).rejects.toThrow(/float32 \[N, 3\]/);
    expect(e.cachedSessions).toBe(0);
  });

  it('refuses rows that do not match the session', async () => {
    const e = newEngine();
    const { key, bytes } = fixture(manifest.models[0]!);
    const session = await e.load(key, bytes, { features: 4 });
    await expect(e.score(session, new Float32Array(12), 3, 3)).rejects.toBeInstanceOf(InputError);
    await expect(e.score(session, new Float32Array(7), 2, 4)).rejects.toBeInstanceOf(InputError);
  });
});

describe('scoring engine: session cache', () => {
  it('returns the same session for the same name@version and sha256, also when loads race', async () => {
    const e = newEngine();
    const { key, bytes } = fixture(manifest.models[0]!);
    const [a, b] = await Promise.all([e.load(key, bytes), e.load(key, bytes)]);
    expect(a).toBe(b);
    expect(await e.load(key, bytes, { features: 4 })).toBe(a);
    expect(await e.load({ ...key, version: 2 }, bytes)).not.toBe(a);
    expect(e.cachedSessions).toBe(2);
  });

  it('evicts the least recently used session and closes it', async () => {
    const e = newEngine({ maxCachedSessions: 2 });
    const [m0, m1, m2] = manifest.models.slice(0, 3).map(fixture);
    const s0 = await e.load(m0!.key, m0!.bytes);
    const s1 = await e.load(m1!.key, m1!.bytes);
    expect(await e.load(m0!.key, m0!.bytes)).toBe(s0); // s0 is now the most recent
    await e.load(m2!.key, m2!.bytes); // evicts s1
    expect(e.cachedSessions).toBe(2);
    expect(await e.load(m0!.key, m0!.bytes)).toBe(s0);
    await expect(e.score(s1, new Float32Array(4), 1, 4)).rejects.toBeInstanceOf(TransientError);
    const again = await e.load(m1!.key, m1!.bytes);
    expect(again).not.toBe(s1);
    expect((await e.score(again, Float32Array.from([11.29, 0.94, 10.16, 12.46]), 1, 4)).scores).toHaveLength(1);
  });

  it('release closes a session once its in-flight scoring finished', async () => {
    const e = newEngine({ batchSize: 64 });
    const entry = manifest.models[0]!;
    const { key, bytes } = fixture(entry);
    const session = await e.load(key, bytes);
    const rows = windows.get(`${entry.device}-${entry.tag}`)!;
    const inFlight = e.score(session, featureMatrix(rows), rows.length, 4);
    e.release(session);
    expect(e.cachedSessions).toBe(0);
    expect((await inFlight).scores).toHaveLength(rows.length);
    await expect(e.score(session, featureMatrix(rows), 1, 4)).rejects.toBeInstanceOf(TransientError);
  });

  it('refuses to load after dispose', async () => {
    const e = newEngine();
    await e.dispose();
    const { key, bytes } = fixture(manifest.models[0]!);
    await expect(e.load(key, bytes)).rejects.toThrow(/disposed/);
  });
});
