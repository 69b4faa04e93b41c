import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../../src/adapters/local/fsBlobStore.js';
import { InputError, NotFoundError } from '../../../src/core/errors.js';
import { CONTAINERS } from '../../../src/core/jobNaming.js';
import { listResultFiles, openResultFile } from '../../../src/usecases/operator/resultFiles.js';

describe('result files by name', () => {
  const root = mkdtempSync(join(tmpdir(), 'tessera-results-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const blobs = createFsBlobStore({ root });

  it('serves every file a job wrote, whatever its input was called, and nothing outside the job', async () => {
    // A video job names its output after its input: a user's file may be called anything.
    const name = '-rf clip ünï.styled.mp4';
    await blobs.ensureContainer(CONTAINERS.results);
    await blobs.put(CONTAINERS.results, `j1/${name}`, 'styled');
    await blobs.put(CONTAINERS.results, 'j2/secret.csv', 'not j1');
    expect((await listResultFiles(blobs, 'j1')).map((f) => f.name)).toEqual([name]);
    const chunks: Buffer[] = [];
    for await (const chunk of (await openResultFile(blobs, 'j1', name)).stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('styled');
    for (const bad of ['../j2/secret.csv', '..', '.', 'a\\b', 'x\u0000y'])
      await expect(openResultFile(blobs, 'j1', bad), bad).rejects.toBeInstanceOf(InputError);
    await expect(openResultFile(blobs, 'j1', 'nosuch.csv')).rejects.toBeInstanceOf(NotFoundError);
  });
});
