import type { LogFields, LogLevel, Logger } from '../ports/logger.js';
import { activeTraceIds } from '../telemetry/tracing.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogLine {
  readonly time: string;
  readonly level: LogLevel;
  readonly msg: string;
  readonly [field: string]: string | number | boolean | undefined;
}

/**
 * A JSON-lines logger. `sink` receives each line; the default writes to stderr. A line written
 * inside a recorded span carries its `traceId` and `spanId`, so logs and traces join.
 */
export function createLogger(
  options: { level?: LogLevel; sink?: (line: LogLine) => void; fields?: LogFields } = {},
): Logger {
  const min = ORDER[options.level ?? 'info'];
  const sink = options.sink ?? ((line: LogLine) => process.stderr.write(`${JSON.stringify(line)}\n`));
  const make = (scope: LogFields): Logger => {
    const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (ORDER[level] < min) return;
      sink({ time: new Date().toISOString(), level, msg, ...scope, ...fields, ...activeTraceIds() });
    };
    return {
      log,
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (fields) => make({ ...scope, ...fields }),
    };
  };
  return make(options.fields ?? {});
}

/** Records lines in memory: a fake for tests that assert on what was logged. */
export function createRecordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return Object.assign(createLogger({ level: 'debug', sink: (l) => lines.push(l) }), { lines });
}
