import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
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

/** Runs `fn` with the embedded adapters open, and closes them whatever happens. */
export async function withLocalContext<T>(
  fn: (ctx: LocalContext, config: Config) => Promise<T>,
  config: Config = loadConfig(),
): Promise<T> {
  const ctx = openLocalContext(config, fileLogger(config, 'cli'));
  try {
    await ctx.ensureContainers();
    return await fn(ctx, config);
  } finally {
    await ctx.close();
  }
}
