/**
 * Each function invocation is a span, started after the process's telemetry (src/telemetry/setup.ts,
 * service `tessera-functions`, Azure Monitor in production), so everything the use case does
 * (the Azure SDK calls, the queue sends that carry the trace on) nests under it.
 *
 * Its parent: the trace context a Service Bus message carries in its application properties (the
 * sender's span, so a job's trace continues across the queue), else the host's own context for the
 * invocation (`InvocationContext.traceContext`, which the host also reports to Application Insights).
 */
import type { InvocationContext } from '@azure/functions';
import { SpanKind } from '@opentelemetry/api';
import { loadAzureSettings } from '../../src/composition/azure/azureConfig.js';
import { credentialFor } from '../../src/composition/azure/azureContext.js';
import { startTelemetry, telemetrySettingsOf, type Telemetry } from '../../src/telemetry/setup.js';
import { inSpan, TRACEPARENT, TRACESTATE, traceContextOf } from '../../src/telemetry/tracing.js';

type Trigger = 'http' | 'pubsub' | 'timer' | 'datasource';
type Handler<I, R> = (input: I, invocation: InvocationContext) => Promise<R>;

let telemetry: Promise<Telemetry> | undefined;

/** The process's telemetry, started on the first invocation; a failure to start it is logged once and never fails an invocation. */
export function processTelemetry(): Promise<Telemetry> {
  telemetry ??= (async () => {
    const settings = telemetrySettingsOf(process.env);
    // Entra ID ingestion when the app runs on an identity (Application Insights with local auth off).
    const credential =
      settings.mode === 'azure-monitor' ? await credentialFor(loadAzureSettings(process.env)) : undefined;
    return startTelemetry({ service: 'tessera-functions', ...(credential ? { credential } : {}) });
  })().catch((error: unknown) => {
    console.error(`tessera: telemetry not started: ${error instanceof Error ? error.message : String(error)}`);
    return { mode: 'off', flush: () => Promise.resolve(), shutdown: () => Promise.resolve() } satisfies Telemetry;
  });
  return telemetry;
}

/** The trace context a Service Bus trigger's message carries (its application properties), if any. */
function messageProperties(invocation: InvocationContext): Record<string, string> | undefined {
  // The host's binding data name (Service Bus extension 5: ApplicationProperties, camel-cased for Node); older hosts said UserProperties.
  const props = invocation.triggerMetadata?.applicationProperties ?? invocation.triggerMetadata?.userProperties;
  if (typeof props !== 'object' || props === null) return undefined;
  const traceparent =
    (props as Record<string, unknown>)[TRACEPARENT] ?? (props as Record<string, unknown>)['Diagnostic-Id'];
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = (props as Record<string, unknown>)[TRACESTATE];
  return { [TRACEPARENT]: traceparent, ...(typeof tracestate === 'string' ? { [TRACESTATE]: tracestate } : {}) };
}

function hostContext(invocation: InvocationContext): Record<string, string> {
  const { traceParent, traceState } = invocation.traceContext ?? {};
  return {
    ...(traceParent ? { [TRACEPARENT]: traceParent } : {}),
    ...(traceState ? { [TRACESTATE]: traceState } : {}),
  };
}

const KINDS: Record<Trigger, SpanKind> = {
  http: SpanKind.SERVER,
  pubsub: SpanKind.CONSUMER,
  timer: SpanKind.INTERNAL,
  datasource: SpanKind.CONSUMER,
};

/** `handler` run in its invocation's span, named `name` (the function's: registrations and tests read it). */
export function tracedHandler<I, R>(trigger: Trigger, name: string, handler: Handler<I, R>): Handler<I, R> {
  const traced: Handler<I, R> = async (input, invocation) => {
    await processTelemetry();
    const parent = traceContextOf(messageProperties(invocation) ?? hostContext(invocation));
    const attributes = {
      'faas.trigger': trigger,
      'faas.invocation_id': invocation.invocationId,
      'faas.name': invocation.functionName,
    };
    return inSpan(
      `function ${invocation.functionName || name}`,
      { kind: KINDS[trigger], attributes, parent },
      async (span) => {
        const result = await handler(input, invocation);
        const status = (result as { status?: unknown } | undefined)?.status;
        if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
        return result;
      },
    );
  };
  Object.defineProperty(traced, 'name', { value: name });
  return traced;
}
