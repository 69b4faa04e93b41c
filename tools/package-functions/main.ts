/**
 * `npm run package:functions [-- --offline] [--out DIR]`: builds the Functions deployment package
 * (default PACKAGE_DIR, dist/functions-package/: what azure.yaml's functions service deploys) from this checkout
 * after `npm ci`. See buildPackage.ts for what it holds. `--offline`: npm installs only from its cache.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFunctionsPackage, PACKAGE_DIR } from './buildPackage.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = resolve(outAt >= 0 && args[outAt + 1] ? args[outAt + 1]! : resolve(root, PACKAGE_DIR));
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

try {
  const report = buildFunctionsPackage({
    root,
    out,
    offline: args.includes('--offline'),
    log: (line) => process.stdout.write(`package:functions: ${line}\n`),
  });
  for (const line of report.lazyOnly) process.stdout.write(`package:functions: not shipped: ${line}\n`);
  process.stdout.write(
    `package:functions: ${relative(process.cwd(), out) || out}: ${report.files} files, ${mb(report.bytes)} MB (node_modules ${mb(report.nodeModulesBytes)} MB)\n`,
  );
} catch (error) {
  process.stderr.write(`package:functions: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
