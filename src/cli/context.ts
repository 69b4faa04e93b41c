import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../ports/logger.js';
import { openLocalContext, type LocalContext } from '../composition/local/localContext.js';
import { createLogger } from '../hosting/logger.js';

/** A logger writing JSON lines to `<home>/logs/<name>.log`, so the terminal stays for progress and results. */
export function fileLogger(config: Config, name: string): Logger {
  const dir = join(config.home, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.log`);
  return createLogger({ level: config.logLevel, sink: (line) => appendFileSync(file, `${JSON.stringify(line)}\n`) });
}

/** The embedded adapters over `config.home`, containers made; the caller closes it. */
export async function openCliContext(config: Config): Promise<LocalContext> {
  const ctx = openLocalContext(config, fileLogger(config, 'cli'));
  try {
    await ctx.ensureContainers();
    return ctx;
  } catch (error) {
    await ctx.close();
    throw error;
  }
}
