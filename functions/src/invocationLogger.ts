import type { InvocationContext } from '@azure/functions';
import type { LogLevel, Logger } from '../../src/ports/logger.js';
import { createLogger } from '../../src/hosting/logger.js';

/**
 * A Logger whose JSON lines go through the invocation's own log methods, so the host correlates
 * them with the invocation (Application Insights operation id) and keeps their level.
 */
export function invocationLogger(invocation: InvocationContext, level: LogLevel): Logger {
  return createLogger({
    level,
    fields: { invocationId: invocation.invocationId, function: invocation.functionName },
    sink: (line) => {
      const text = JSON.stringify(line);
      if (line.level === 'debug') invocation.debug(text);
      else if (line.level === 'info') invocation.info(text);
      else if (line.level === 'warn') invocation.warn(text);
      else invocation.error(text);
    },
  });
}
