/** A clock that moves only when told: lock expiry and duplicate detection become deterministic. */
export interface TestClock {
  readonly now: () => number;
  readonly advance: (ms: number) => void;
}

export function createTestClock(start = Date.now()): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
