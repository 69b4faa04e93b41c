import type { Telemetry } from '../ports/telemetry.js';
import { instruments } from './metrics.js';
import { inSpan } from './tracing.js';

/**
 * The Telemetry port on the OpenTelemetry API: spans through the tracer, counts through the work
 * counters. Like the API itself, a no-op until a composition root starts a provider (setup.ts).
 */
export const otelTelemetry: Telemetry = {
  inSpan: (name, attributes, fn) => inSpan(name, { attributes }, fn),
  count: (counter, value, attributes) => instruments()[counter].add(value, attributes),
};
