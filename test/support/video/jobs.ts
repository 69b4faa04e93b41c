/**
 * Test support for video jobs on the local runtime: a test config with small shards, a style model
 * of the test's own (an identity graph, so its bytes are nobody else's), results read back to local
 * files, and the checks every styled output must pass against its input.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/config.js';
import { CONTAINERS, resultBlobName } from '../../../src/core/jobNaming.js';
import type { LocalContext } from '../../../src/composition/local/localContext.js';
import { readBlobText } from '../../../src/usecases/readBlobText.js';
import { styledOutputBlob } from '../../../src/usecases/video/videoPaths.js';
import { ELEM_FLOAT, buildGraphModel } from '../../../src/video/style/onnxGraph.js';
import { audioOf, streamFacts, videoOf, type StreamFacts } from './media.js';

/** Config overrides for a video test: shards of about a second, capped at `maxShardFrames`, fast x264. */
export function videoTestConfig(video: Partial<Config['video']> = {}): Partial<Config> {
  return { video: { ...loadConfig({}).video, shardSeconds: 1, maxShardFrames: 4, preset: 'ultrafast', ...video } };
}

/** A dynamic-size [N,3,H,W] identity style model, tagged with `tag` so each call has its own bytes. */
export function identityStyleModel(tag: string): Buffer {
  const dims = ['N', 3, 'H', 'W'];
  return buildGraphModel({
    name: `identity-${tag}`,
    input: { name: 'x', elemType: ELEM_FLOAT, dims },
    output: { name: 'y', elemType: ELEM_FLOAT, dims },
    emit: (b, x, y) => b.node('Identity', [x], [], y),
    docString: tag,
  });
}

/** Registers a style model, then overwrites its stored bytes: every load of it fails its checksum. */
export async function registerCorruptStyle(ctx: LocalContext, name: string): Promise<void> {
  await ctx.registry.add(name, identityStyleModel(name));
  const record = await ctx.registry.resolve(name);
  await ctx.blobs.put(CONTAINERS.models, record.blob, Buffer.from('not an onnx model any more'));
}

/** Downloads a job's styled video (named after its input) to `path`. */
export async function downloadStyled(
  ctx: LocalContext,
  jobId: string,
  inputName: string,
  path: string,
): Promise<string> {
  const { stream } = await ctx.blobs.get(CONTAINERS.results, styledOutputBlob(jobId, inputName));
  await pipeline(stream, createWriteStream(path));
  return path;
}

export async function readSummary(ctx: LocalContext, jobId: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, 'summary.json'))) as Record<
    string,
    unknown
  >;
}

/**
 * The output against its input, by ffprobe alone: the same frame count, the duration within one
 * frame (of the input's average rate), audio exactly when the input had it, same codec and packets,
 * and the same display rotation.
 */
export async function expectSameTiming(
  input: string,
  output: string,
): Promise<{ input: StreamFacts; output: StreamFacts }> {
  const a = await streamFacts(input),
    b = await streamFacts(output);
  const vIn = videoOf(a),
    vOut = videoOf(b);
  expect(vOut.packets, 'frames').toBe(vIn.packets);
  const frame = vIn.duration / vIn.packets;
  expect(Math.abs(vOut.duration - vIn.duration), `duration ${vOut.duration} vs ${vIn.duration}`).toBeLessThanOrEqual(
    frame + 1e-6,
  );
  const aIn = audioOf(a),
    aOut = audioOf(b);
  expect(aOut?.codec, 'audio codec').toBe(aIn?.codec);
  expect(aOut?.packets, 'audio packets').toBe(aIn?.packets);
  expect(vOut.rotation ?? 0, "the output keeps the source's display rotation").toBe(vIn.rotation ?? 0);
  return { input: vIn, output: vOut };
}
