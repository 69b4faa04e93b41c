/**
 * Tracing for the adapters and the runtime, on the OpenTelemetry API only (no SDK here): without
 * a provider started by a composition root (telemetry/setup.ts) every call is a cheap no-op.
 *
 * One trace covers a job: the trigger's span is the parent of the `send` span, whose context
 * travels in each queue message's application properties (W3C `traceparent` and `tracestate`,
 * plus `Diagnostic-Id`, the name the Azure Service Bus SDK and the Functions host read); the
 * consumer's span continues it, and ffmpeg and ONNX spans nest under that.
 */
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export const TRACER_NAME = 'tessera';
export const tracer = trace.getTracer(TRACER_NAME);

/** The properties a message carries its trace context in. */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const DIAGNOSTIC_ID = 'Diagnostic-Id';

// The W3C format is the only one Tessera reads and writes, whatever propagator a root registered.
const w3c = new W3CTraceContextPropagator();

type Properties = Readonly<Record<string, string | number | boolean>>;

const setter: TextMapSetter<Record<string, string | number | boolean>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
const getter: TextMapGetter<Properties> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key] ?? (key === TRACEPARENT ? carrier[DIAGNOSTIC_ID] : undefined);
    return typeof value === 'string' ? value : undefined;
  },
};

/** `properties` plus the trace context of `ctx` (the active one by default); unchanged when nothing is traced. */
export function withTraceContext(properties: Properties | undefined, ctx: Context = context.active()): Properties {
  const carrier: Record<string, string | number | boolean> = { ...properties };
  w3c.inject(ctx, carrier, setter);
  const traceparent = carrier[TRACEPARENT];
  if (typeof traceparent === 'string') carrier[DIAGNOSTIC_ID] = traceparent;
  return carrier;
}

/** The context a message's properties carry (the root context when they carry none or a malformed one). */
export function traceContextOf(properties: Properties | undefined): Context {
  return w3c.extract(context.active(), properties ?? {}, getter);
}

/** The trace id of the active span, for log lines; undefined outside a recorded span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // Unsampled spans are not exported: a log line pointing at them would lead nowhere.
  return traceFlags & 1 ? { traceId, spanId } : undefined;
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent; the active context by default. */
  readonly parent?: Context;
}

/**
 * Runs `fn` in a new active span and ends it when `fn` settles: an error is recorded on the span
 * (status ERROR, exception event) and rethrown unchanged.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks `span` failed with `error`. */
export function failSpan(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

/** A span started now and ended by the caller (for work whose start and end are callbacks, e.g. a child process). */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  return tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    options.parent ?? context.active(),
  );
}

export { SpanKind };
