/**
 * Reads onnxruntime profiles (sessionOptions.enableProfiling, written on endProfiling) for the
 * provider that ran each node: node events carry `args.provider`, e.g. 'CUDAExecutionProvider'.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface ProfileEvent {
  readonly cat?: string;
  readonly args?: { readonly provider?: string };
}

/** A private temporary folder for profile files, and its removal. */
export async function createProfileDir(): Promise<{ readonly dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-ep-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Counts node events per provider in every profile JSON written to `dir`. */
export async function profiledProviders(dir: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const events = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as ProfileEvent[];
    for (const e of events) {
      const p = e.cat === 'Node' ? e.args?.provider : undefined;
      if (p) counts[p] = (counts[p] ?? 0) + 1;
    }
  }
  return counts;
}
