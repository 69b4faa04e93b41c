/**
 * Reads onnxruntime profiles (sessionOptions.enableProfiling, written on endProfiling) for the
 * provider that ran each node and how long it took: node events carry `args.provider`, e.g.
 * 'CUDAExecutionProvider', and `dur` in microseconds.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  /** Microseconds. */
  readonly dur?: number;
  readonly args?: { readonly provider?: string };
}

/** One node's run in a profile: its name (onnxruntime appends '_kernel_time'), provider and time. */
export interface ProfiledNode {
  readonly name: string;
  readonly provider: string;
  readonly ms: number;
}

/** A private temporary folder for profile files, and its removal. */
export async function createProfileDir(): Promise<{ readonly dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-ep-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Counts node events per provider in every profile JSON written to `dir`. */
export async function profiledProviders(dir: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const node of await profiledNodes(dir)) counts[node.provider] = (counts[node.provider] ?? 0) + 1;
  return counts;
}

/** The node events (those naming a provider) of every profile JSON written to `dir`, in order. */
export async function profiledNodes(dir: string): Promise<ProfiledNode[]> {
  const nodes: ProfiledNode[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const events = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as ProfileEvent[];
    for (const e of events) {
      const provider = e.cat === 'Node' ? e.args?.provider : undefined;
      if (provider) nodes.push({ name: e.name ?? '', provider, ms: (e.dur ?? 0) / 1000 });
    }
  }
  return nodes;
}
