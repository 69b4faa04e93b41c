import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { submitFile } from '../../src/cli/submitFile.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { openContext, tempHome } from '../support/localHarness.js';

const HEADER = 'TS,Device,Tag,Value\n';

describe('submitting files whose names are taken (no runtime: the jobs wait in the ledger)', () => {
  const home = tempHome();
  const files = mkdtempSync(join(tmpdir(), 'tessera-submit-'));
  let ctx: LocalContext;

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
  });

  afterAll(async () => {
    await ctx?.close();
    home.cleanup();
    rmSync(files, { recursive: true, force: true });
  });

  /** `readings.csv` in its own directory under `files`, holding one row. */
  const csv = (dir: string, row: string): string => {
    mkdirSync(join(files, dir));
    const path = join(files, dir, 'readings.csv');
    writeFileSync(path, HEADER + row);
    return path;
  };

  it('other content under a taken name goes in under <stem>.<digest prefix><ext>, as its own job, and again finds that job', async () => {
    const a = csv('a', '2018-08-29T00:00:00Z,d1,t1,1.5\n');
    const b = csv('b', '2018-08-29T00:00:00Z,d1,t1,2.5\n');
    const first = await submitFile(ctx, a);
    const second = await submitFile(ctx, b);
    const again = await submitFile(ctx, b);
    expect(first.input.name).toBe('readings.csv');
    expect(second.input.name).toMatch(/^readings\.[0-9a-f]{12}\.csv$/);
    expect(second.jobId).not.toBe(first.jobId);
    expect(again.jobId).toBe(second.jobId);
    const inbox: string[] = [];
    for await (const blob of ctx.blobs.list(CONTAINERS.inbox, '')) inbox.push(blob.name);
    expect(inbox.sort()).toEqual(['readings.csv', second.input.name].sort());
    expect((await submitFile(ctx, a)).jobId, 'the first content still finds its job').toBe(first.jobId);
  });
});
