/** Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffMs(attempt: number, baseMs = 200, capMs = 10_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/** When a message that failed transiently is delivered again: after baseMs, doubling per delivery, at most maxMs. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** 15 s, 30 s, 1 min, 2 min, … up to 5 min: with 5 deliveries, a transient error is retried for 2 to 4 minutes. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 15_000, maxMs: 300_000 };

/**
 * The wait before delivery `deliveryCount + 1` of a message whose delivery `deliveryCount` failed
 * transiently: exponential, with "equal jitter" (a random point in the upper half of the step), so
 * retries of many messages spread out while the schedule's length stays predictable.
 */
export function retryDelayMs(deliveryCount: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, deliveryCount - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
