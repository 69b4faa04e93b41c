// Writes the README's configuration reference: the table generated from src/config/settings.ts.
// Run with `npm run docs:settings`; test/config/settingsReference.test.ts fails when it is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withSettingsTable } from '../src/config/settings.ts';

const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8')));
console.log(`settings reference written to ${readme}`);
