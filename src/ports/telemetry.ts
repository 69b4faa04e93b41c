/** Attribute values a span or a count carries. */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean>>;

/** The span a traced step runs in: it may add attributes as it learns them. */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): void;
  setAttributes(attributes: TelemetryAttributes): void;
}

/** Counters of the work itself (see src/telemetry/metrics.ts for their names and units). */
export type WorkCounter = 'events' | 'windows' | 'frames';

/**
 * Telemetry port: how use cases trace their steps and count their work, without knowing the
 * exporter (OpenTelemetry in src/telemetry; nothing at all in `noTelemetry`).
 *
 * Contract: `inSpan` runs `fn` in a new span that is a child of the active one and ends when `fn`
 * settles; an error is recorded on the span and rethrown unchanged. `count` never throws.
 */
export interface Telemetry {
  inSpan<T>(name: string, attributes: TelemetryAttributes, fn: (span: TelemetrySpan) => Promise<T>): Promise<T>;
  count(counter: WorkCounter, value: number, attributes: TelemetryAttributes): void;
}

const noSpan: TelemetrySpan = { setAttribute: () => undefined, setAttributes: () => undefined };

/** Telemetry that records nothing: for tests and tools that start no exporter. */
export const noTelemetry: Telemetry = {
  inSpan: (_name, _attributes, fn) => fn(noSpan),
  count: () => undefined,
};
