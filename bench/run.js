#!/usr/bin/env node
// `npm run bench -- NAME`: runs bench/NAME.ts; its last line of output is one JSON object
// {"bench": NAME, "ratios": {…}, "goals": {…}, "figures": {…}}.
import { register } from 'tsx/esm/api';
import { existsSync, readdirSync } from 'node:fs';

register();
const name = process.argv[2];
const file = new URL(`./${name}.bench.ts`, import.meta.url);
if (!name || !existsSync(file)) {
  const known = readdirSync(new URL('.', import.meta.url))
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace('.bench.ts', ''));
  console.error(`usage: npm run bench -- NAME   (one of: ${known.join(', ')})`);
  process.exit(2);
}
const { run } = await import(file.href);
const result = await run(process.argv.slice(3));
console.log(JSON.stringify({ bench: name, ...result }));
