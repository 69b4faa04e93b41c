#!/usr/bin/env node
// The `tessera` command: runs the sources compiled to dist/ (`npm run build`, which `npm install`
// and `npm ci` run through `prepare`), so it needs no TypeScript loader at run time.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/entry.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    `tessera: ${entry.pathname} is missing: run \`npm run build\` (npm install and npm ci run it)\n`,
  );
  process.exit(2);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));
