import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A static file of the dashboard: where it is on disk and how to serve it. */
export interface DashboardFile {
  readonly path: string;
  readonly contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const NAME = /^[a-z][a-z0-9-]{0,63}\.(html|js|css|svg)$/;

/**
 * The dashboard's folder: beside the compiled sources in the Functions package (`dist/dashboard`,
 * copied there by `npm run package:functions`), else `dashboard/` at the repository root, seen from
 * the sources (src/hosting) or from the compiled ones (dist/src/hosting, which `tessera up` runs).
 * Plain ES modules and CSS: nothing to build.
 */
export function dashboardDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '../../dashboard'), join(here, '../../../dashboard')])
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  return join(here, '../../dashboard');
}

/** uPlot, the charting library, served as it ships in node_modules (its ES module and stylesheet). */
function vendorFile(name: string): string | undefined {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('uplot/package.json'));
  if (name === 'uPlot.esm.js') return join(dist, 'dist/uPlot.esm.js');
  if (name === 'uPlot.min.css') return join(dist, 'dist/uPlot.min.css');
  return undefined;
}

/**
 * The file a dashboard path (relative to where the dashboard is mounted: `/` locally,
 * `/api/dashboard/` on Azure) names, or undefined for anything else. Only flat, known names: no
 * path ever reaches the file system from the request.
 */
export function dashboardFile(path: string): DashboardFile | undefined {
  const relative = path.replace(/^\/+/, '');
  if (relative.startsWith('vendor/')) {
    const file = vendorFile(relative.slice('vendor/'.length));
    return file ? { path: file, contentType: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'text/plain' } : undefined;
  }
  const name = relative === '' ? 'index.html' : relative;
  if (!NAME.test(name)) return undefined;
  const file = join(dashboardDir(), name);
  return existsSync(file)
    ? { path: file, contentType: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'text/plain' }
    : undefined;
}
