/**
 * Event-time window specs of the stream aggregator. Windows are aligned to the Unix epoch, in UTC,
 * start inclusive and end exclusive, as in the batch job (`windowing.ts`):
 * - tumbling: `[k·size, (k+1)·size)`, each reading in exactly one window;
 * - hopping: `[k·hop, k·hop + size)`, each reading in every window that covers it
 *   (`size / hop` of them when hop divides size). Tumbling is hopping with hop = size.
 */
export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly sizeSeconds: number }
  | { readonly kind: 'hopping'; readonly sizeSeconds: number; readonly hopSeconds: number };

/** A spec in milliseconds, checked. */
export interface WindowGrid {
  readonly sizeMs: number;
  readonly hopMs: number;
}

/** Throws a RangeError naming the problem: specs come from configuration and models, not from events. */
export function gridOf(spec: WindowSpec): WindowGrid {
  const sizeMs = toMs(spec.sizeSeconds, 'sizeSeconds');
  if (spec.kind === 'tumbling') return { sizeMs, hopMs: sizeMs };
  if (spec.kind !== 'hopping')
    throw new RangeError(`unknown window kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  const hopMs = toMs(spec.hopSeconds, 'hopSeconds');
  if (hopMs > sizeMs)
    throw new RangeError(
      `hopSeconds (${spec.hopSeconds}) must not exceed sizeSeconds (${spec.sizeSeconds}): readings would fall between windows`,
    );
  return { sizeMs, hopMs };
}

function toMs(seconds: number, name: string): number {
  const ms = seconds * 1000;
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new RangeError(`${name} must be a positive whole number of milliseconds, got ${seconds}`);
  return ms;
}
