import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the local API's bearer token lives: readable by its owner only. */
export function apiTokenFile(home: string): string {
  return join(home, 'api.token');
}

/** The token in `home`, or undefined when none was made yet. */
export function readApiToken(home: string): string | undefined {
  try {
    const token = readFileSync(apiTokenFile(home), 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/**
 * The local API's bearer token: made once (32 random bytes, hex, mode 0600) and kept, so a
 * dashboard link and a script's token stay valid between starts. Delete the file to rotate it.
 */
export function ensureApiToken(home: string): string {
  const existing = readApiToken(home);
  if (existing) return existing;
  mkdirSync(home, { recursive: true });
  try {
    writeFileSync(apiTokenFile(home), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const made = readApiToken(home);
  if (!made) throw new Error(`${apiTokenFile(home)} is empty`);
  return made;
}

/** Compares a presented token with the expected one in constant time. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
