// Copies the dashboard's static files into the Functions app's package (functions/dist/dashboard), where
// src/hosting/dashboardFiles.ts finds them next to the compiled sources. Run by `npm run build` in functions/.
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'functions', 'dist', 'dashboard');
mkdirSync(target, { recursive: true });
cpSync(join(root, 'dashboard'), target, { recursive: true });
console.log(`dashboard copied to ${target}`);
