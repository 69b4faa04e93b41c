/**
 * The last `capacity` producer ids seen, forgetting the oldest first (FIFO): bounded memory, O(1)
 * per id. Capacity 0 remembers nothing.
 */
export class RecentIds {
  private readonly set = new Set<string>();
  private readonly ring: (string | undefined)[];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`dedupeCapacity must be a whole number >= 0, got ${capacity}`);
    this.ring = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** True when `key` was seen among the last `capacity` keys; otherwise remembers it and returns false. */
  seenOrAdd(key: string): boolean {
    if (this.set.has(key)) return true;
    if (this.capacity === 0) return false;
    const old = this.ring[this.head];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.head] = key;
    this.set.add(key);
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    return false;
  }

  /** Oldest first. */
  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const key = this.ring[(this.head + i) % this.capacity];
      if (key !== undefined) out.push(key);
    }
    return out;
  }

  /** Remembers `keys` (oldest first), as if seen in that order. */
  static from(capacity: number, keys: readonly string[]): RecentIds {
    const ids = new RecentIds(capacity);
    for (const key of keys) ids.seenOrAdd(key);
    return ids;
  }
}
