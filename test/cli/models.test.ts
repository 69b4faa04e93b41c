import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/onnx/onnxProto.js';
import { readOcsvmManifest } from '../support/fixtures.js';
import { MOSAIC } from '../support/video/media.js';
import { cliHome, FIXTURE_MODELS_DIR, runCli } from '../support/cli.js';

const MODEL_1_1 = join(FIXTURE_MODELS_DIR, 'ocsvm-1-1.onnx');
const MODEL_1_2 = join(FIXTURE_MODELS_DIR, 'ocsvm-1-2.onnx');
const sha256Of = (device: string, tag: string) =>
  readOcsvmManifest().models.find((m) => m.device === device && m.tag === tag)!.sha256;

interface ListedModel {
  ref: string;
  version: number;
  sha256: string;
  meta: Record<string, string>;
  metadata: Record<string, string>;
  tags: string[];
}

describe('tessera models', () => {
  const home = cliHome();
  afterAll(() => home.cleanup());

  const listJson = async (name: string): Promise<ListedModel[]> => {
    const listed = await runCli(home, ['models', 'list', name, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    return (JSON.parse(listed.stdout) as { models: ListedModel[] }).models;
  };

  it('add registers version 1 and prints its ref, sha256, inputs and outputs; the same bytes again are unchanged', async () => {
    const added = await runCli(home, ['models', 'add', 'ocsvm-1-1', MODEL_1_1]);
    expect(added.code, added.stderr).toBe(0);
    const sha = sha256Of('1', '1');
    expect(added.stdout.split('\n')).toEqual([
      `added ocsvm-1-1@1 sha256 ${sha}`,
      '  inputs float_input float32[,4]',
      '  outputs label int64[,1]; scores float32[,1]',
      '',
    ]);

    const again = await runCli(home, ['models', 'add', 'ocsvm-1-1', MODEL_1_1]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe(`unchanged ocsvm-1-1@1 sha256 ${sha}`);
    expect(await listJson('ocsvm-1-1')).toHaveLength(1);
  });

  it("--meta and --tag make a new version, and list shows its tag, user meta and the model's own metadata", async () => {
    const tagged = await runCli(home, [
      'models',
      'add',
      'ocsvm-1-1',
      MODEL_1_1,
      '--meta',
      'color=bgr',
      '--tag',
      'prod',
    ]);
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout).toMatch(/^added ocsvm-1-1@2 sha256 [0-9a-f]{64}\n/);

    const listed = await runCli(home, ['models', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    const [header, ...lines] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^MODEL\s+SHA256\s+CREATED\s+WINDOW\s+TAGS\s+INFERRED\s+METADATA$/);
    expect(lines).toEqual([expect.stringMatching(/^ocsvm-1-1@1\s/), expect.any(String), 'built in: toon']);
    expect(lines[0]).toMatch(/^ocsvm-1-1@1\s+[0-9a-f]{12}\s+\S+Z\s+60 s\s+-\s+-\s+features=/);
    expect(lines[1]).toMatch(/^ocsvm-1-1@2\s+[0-9a-f]{12}\s+\S+Z\s+60 s\s+prod\s+-\s+/);
    expect(lines[1]).toContain('color=bgr');
    expect(lines[1]).toContain('window_seconds=60');

    const [v1, v2] = await listJson('ocsvm-1-1');
    expect(v1).toMatchObject({ ref: 'ocsvm-1-1@1', tags: [], meta: {} });
    expect(v2).toMatchObject({ ref: 'ocsvm-1-1@2', tags: ['prod'], meta: { color: 'bgr' }, sha256: v1!.sha256 });
    expect(v2!.metadata).toMatchObject({ color: 'bgr', features: 'mean,std,min,max', window_seconds: '60' });
  });

  it('optimize registers the standard-ops rewrite as the next version with optimized_from', async () => {
    expect((await runCli(home, ['models', 'add', 'ocsvm-1-2', MODEL_1_2])).code).toBe(0);
    const optimized = await runCli(home, ['models', 'optimize', 'ocsvm-1-2']);
    expect(optimized.code, optimized.stderr).toBe(0);
    expect(optimized.stdout).toMatch(/^ocsvm-1-2@2: [1-9]\d* ai\.onnx\.ml nodes rewritten into standard ops\n$/);

    const [source, rewritten] = await listJson('ocsvm-1-2');
    expect(rewritten).toMatchObject({ ref: 'ocsvm-1-2@2', meta: { optimized_from: 'ocsvm-1-2@1' } });
    expect(rewritten!.sha256).not.toBe(source!.sha256);
  });

  it('add of a one-class SVM that does not say its window length is bad input (exit 2) naming --meta window_seconds=N', async () => {
    const stripped = join(home.dir, 'no-window.onnx');
    writeFileSync(stripped, encodeModel({ ...decodeModel(readFileSync(MODEL_1_1)), metadataProps: [] }));
    const refused = await runCli(home, ['models', 'add', 'ocsvm-9-9', stripped]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/model ocsvm-9-9: .*--meta window_seconds=N/);
    expect(await listJson('ocsvm-9-9')).toEqual([]);

    const told = await runCli(home, ['models', 'add', 'ocsvm-9-9', stripped, '--meta', 'window_seconds=3600']);
    expect(told.code, told.stderr).toBe(0);
    const listed = await runCli(home, ['models', 'list', 'ocsvm-9-9']);
    expect(listed.stdout.trim().split('\n')[1]).toMatch(/^ocsvm-9-9@1\s+[0-9a-f]{12}\s+\S+\s+3600 s\s/);
  });

  it('list shows what was inferred from a style model: mosaic (Image.BitmapPixelFormat=Bgr8) is BGR with no --meta', async () => {
    expect((await runCli(home, ['models', 'add', 'mosaic', MOSAIC])).code).toBe(0);
    expect((await runCli(home, ['models', 'add', 'mosaic', MOSAIC, '--meta', 'color=rgb'])).code).toBe(0);
    const listed = await runCli(home, ['models', 'list', 'mosaic']);
    expect(listed.code, listed.stderr).toBe(0);
    const [header, v1, v2] = listed.stdout.trim().split('\n');
    const column = (line: string | undefined, name: string) => line?.slice(header!.indexOf(name)).split(/\s{2,}/)[0];
    expect(column(v1, 'INFERRED')).toBe('color=bgr');
    expect(column(v1, 'WINDOW')).toBe('-');
    expect(v1).toContain('Image.BitmapPixelFormat=Bgr8');
    expect(column(v2, 'INFERRED')).toBe('color=bgr (overridden)');
    const [j1, j2] = await listJson('mosaic');
    expect(j1!.metadata.color).toBe('bgr');
    expect(j2!.metadata.color).toBe('rgb');
  });

  it('add of a file that is not an ONNX model fails without registering anything', async () => {
    const garbage = join(home.dir, 'garbage.onnx');
    writeFileSync(garbage, Buffer.from('this is not a protobuf, just some text\n'.repeat(8)));
    const result = await runCli(home, ['models', 'add', 'broken', garbage]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^tessera models: .*not an ONNX/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(await listJson('broken')).toEqual([]);
  });

  it('add of a corrupt model is bad input (exit 2) whose message names the file and the model', async () => {
    const garbage = join(home.dir, 'corrupt.onnx');
    writeFileSync(garbage, readFileSync(MODEL_1_1).subarray(0, 37));
    const result = await runCli(home, ['models', 'add', 'corrupt', garbage]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/corrupt\.onnx: not a usable ONNX model for corrupt/);
  });

  it('add of a missing file exits 2 naming the file', async () => {
    const result = await runCli(home, ['models', 'add', 'ghost', 'nosuch.onnx']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nosuch.onnx: cannot read the model file');
  });
});
