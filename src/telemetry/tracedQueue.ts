/**
 * A WorkQueue whose `send` runs in a PRODUCER span and stamps that span's context on every message
 * (telemetry/tracing.ts), so the consumer's span, in whichever process receives it, continues the
 * sender's trace. Everything else passes through. Applied by the composition roots to every queue,
 * so the use cases stay unaware of tracing.
 */
import { forwardingQueue, type WorkQueue } from '../ports/workQueue.js';
import { inSpan, SpanKind, withTraceContext } from './tracing.js';

export function tracedQueue(inner: WorkQueue): WorkQueue {
  return {
    ...forwardingQueue(inner),
    send: (messages) =>
      inSpan(
        `send ${inner.name}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'tessera',
            'messaging.operation.type': 'send',
            'messaging.destination.name': inner.name,
            'messaging.batch.message_count': messages.length,
          },
        },
        () =>
          inner.send(messages.map((m) => ({ ...m, applicationProperties: withTraceContext(m.applicationProperties) }))),
      ),
  };
}
