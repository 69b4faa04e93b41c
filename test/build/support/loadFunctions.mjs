// Run by test/build/functionsPackage.test.ts as `node loadFunctions.mjs` with a built Functions
// package as the working directory. Loads every function module its package.json `main` names, as
// the Functions host's Node worker does, and prints one JSON line: the registrations @azure/functions
// handed to the worker (as test/functions/support/recordingCore.ts records them), the native addons
// loaded, and where the dashboard's files and @azure/functions were found.
//
// Nothing may resolve outside the package: an ESM resolve hook and the CommonJS resolver both throw
// on a file outside it, so a module the package lacks fails the load instead of being found in a
// parent folder's node_modules.
import { Module, createRequire, register } from 'node:module';
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = realpathSync(process.cwd());
const inside = (file) => file === pkg || file.startsWith(pkg + sep);

const HOOKS = `
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
let root;
export function initialize(data) { root = data.pkg; }
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  if (found.url.startsWith('file:')) {
    const file = fileURLToPath(found.url);
    if (file !== root && !file.startsWith(root + sep))
      throw new Error(\`\${specifier} (imported by \${context.parentURL}) resolved outside the package: \${file}\`);
  }
  return found;
}`;
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, import.meta.url, { data: { pkg } });

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const file = resolveFilename.call(this, request, parent, ...rest);
  if (isAbsolute(file) && !inside(file))
    throw new Error(`${request} (required by ${parent?.filename}) resolved outside the package: ${file}`);
  return file;
};

const registrations = [];
let programmingModel = false;
const core = {
  version: '3.10.1',
  hostVersion: '4.1000.0',
  setProgrammingModel: () => (programmingModel = true),
  getProgrammingModel: () => undefined,
  registerHook: () => ({ dispose: () => {} }),
  log: () => {},
  registerFunction(metadata, callback) {
    registrations.push({ ...metadata, callback: typeof callback });
    return { dispose: () => {} };
  },
  Disposable: class {
    dispose() {}
  },
};
const require = Module.prototype.require;
Module.prototype.require = function (id, ...rest) {
  return id === '@azure/functions-core' ? core : require.call(this, id, ...rest);
};
const addons = [];
const dlopen = process.dlopen.bind(process);
process.dlopen = (module, filename, ...flags) => {
  addons.push(filename);
  return dlopen(module, filename, ...flags);
};

const { main } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
const dir = dirname(resolve(pkg, main));
const pattern = new RegExp(`^${basename(main).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
const files = readdirSync(dir)
  .filter((f) => pattern.test(f))
  .sort();
for (const file of files) await import(pathToFileURL(join(dir, file)).href);

const { dashboardFile } = await import(pathToFileURL(join(pkg, 'dist/src/hosting/dashboardFiles.js')).href);
process.stdout.write(
  `${JSON.stringify({
    files,
    programmingModel,
    registrations,
    addons,
    functionsLibrary: createRequire(join(pkg, 'package.json')).resolve('@azure/functions'),
    dashboard: ['index.html', 'app.js', 'style.css', 'vendor/uPlot.esm.js'].map((p) => dashboardFile(p)?.path ?? null),
  })}\n`,
);
