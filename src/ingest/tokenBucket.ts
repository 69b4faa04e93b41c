/** A rate limiter: `take()` takes one token and returns 0, or returns the milliseconds until one is due. */
export interface TokenBucket {
  take(): number;
}

/**
 * A token bucket refilled at `ratePerSecond`, holding at most `capacity` tokens, starting empty (so the
 * first second sends at most `ratePerSecond` events, and a burst after a pause at most `capacity`).
 */
export function createTokenBucket(
  ratePerSecond: number,
  capacity: number,
  now: () => number = () => performance.now(),
): TokenBucket {
  let tokens = 0;
  let last = now();
  return {
    take() {
      const at = now();
      tokens = Math.min(capacity, tokens + ((at - last) * ratePerSecond) / 1000);
      last = at;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return ((1 - tokens) * 1000) / ratePerSecond;
    },
  };
}
