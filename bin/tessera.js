#!/usr/bin/env node
// The `tessera` command: registers tsx's loader so the TypeScript sources run as they are.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/entry.ts');
process.exitCode = await runCli(process.argv.slice(2));
