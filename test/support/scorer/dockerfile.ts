/**
 * A small Dockerfile reader for structural checks (no linter binary installs here: hadolint is
 * neither on the npm registry nor in Debian): instructions with continuation lines joined and
 * comments dropped, grouped into stages.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string | undefined;
  /** The FROM image or stage. */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export function readDockerfile(path: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line.startsWith('#') && pending === undefined) return;
      if (line.startsWith('#')) return; // a comment inside a continued instruction
      if (line === '' && pending === undefined) return;
      const text = `${pending?.text ?? ''} ${line.replace(/\\$/, '')}`.trim();
      if (line.endsWith('\\')) {
        pending = { text, line: pending?.line ?? i + 1 };
        return;
      }
      const [keyword = '', ...rest] = text.split(/\s+/);
      instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending?.line ?? i + 1 });
      pending = undefined;
    });
  const stages: { name: string | undefined; from: string; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ from: m[1]!, name: m[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** The chain of bases of a stage, down to an image that is not a stage (last). */
export function baseChain(stages: readonly Stage[], name: string): string[] {
  const chain: string[] = [];
  let current = stages.find((s) => s.name === name);
  while (current) {
    chain.push(current.from);
    const from = current.from;
    current = stages.find((s) => s.name === from);
  }
  return chain;
}

/** The stages a stage needs: its bases and every `COPY --from`, transitively. */
export function dependencies(stages: readonly Stage[], name: string, seen = new Set<string>()): Set<string> {
  const stage = stages.find((s) => s.name === name);
  if (!stage || seen.has(name)) return seen;
  seen.add(name);
  const refs = [
    stage.from,
    ...stage.instructions.flatMap((i) => (i.keyword === 'COPY' ? [/--from=(\S+)/.exec(i.args)?.[1]] : [])),
  ];
  for (const ref of refs) if (ref !== undefined) dependencies(stages, ref, seen);
  return seen;
}
