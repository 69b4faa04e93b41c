/**
 * `npm run infra:check [-- PATH…]`: checks Tessera's infrastructure offline (CI has no Bicep compiler,
 * no az CLI and no cluster). See README.md beside this file for what it checks and where the schemas
 * come from. Exit 0: no errors (notes are printed but pass); 1: errors; 2: bad usage.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFinding } from './findings.js';
import { runInfraCheck } from './runCheck.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const paths = args.filter((a) => !a.startsWith('--'));
const typesDir = process.env.TESSERA_BICEP_TYPES ?? resolve(repo, '..', 'shared', 'bicep-types');

if (!existsSync(resolve(typesDir, 'index.json'))) {
  process.stderr.write(`infra:check: no Azure type definitions at ${typesDir} (set TESSERA_BICEP_TYPES)\n`);
  process.exit(2);
}

const started = Date.now();
const { findings, files } = runInfraCheck({
  paths: paths.length > 0 ? paths : [resolve(repo, 'infra'), resolve(repo, 'azure.yaml')],
  typesDir,
});
const errors = findings.filter((f) => f.severity === 'error');
for (const f of findings) if (!quiet || f.severity === 'error') process.stdout.write(`${formatFinding(f)}\n`);
const notes = findings.length - errors.length;
process.stdout.write(
  `infra:check: ${files.length} files, ${errors.length} errors, ${notes} notes (${Date.now() - started} ms)\n`,
);
process.exit(errors.length > 0 ? 1 : 0);
