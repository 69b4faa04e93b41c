/**
 * A least-recently-used map with a capacity. Values pushed out (by `set` over capacity, `delete` or
 * `clear`) are handed to `onEvict`, so their owner can release them.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly capacity: number,
    private readonly onEvict: (key: string, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked as most recently used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    const previous = this.entries.get(key);
    this.entries.delete(key);
    this.entries.set(key, value);
    if (previous !== undefined && previous !== value) this.onEvict(key, previous);
    for (const [oldest, evicted] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
      this.onEvict(oldest, evicted);
    }
  }

  /** Removes the key; `onEvict` runs unless `value` is given and is not the cached one. */
  delete(key: string, value?: V): boolean {
    const current = this.entries.get(key);
    if (current === undefined || (value !== undefined && current !== value)) return false;
    this.entries.delete(key);
    this.onEvict(key, current);
    return true;
  }

  clear(): void {
    const all = [...this.entries];
    this.entries.clear();
    for (const [key, value] of all) this.onEvict(key, value);
  }
}
