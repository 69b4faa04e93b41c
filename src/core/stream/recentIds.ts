/**
 * Recently seen producer ids, scoped by device, in bounded memory: two generations of at most
 * `capacity` ids each. New ids go to the current generation; when it is full it becomes the previous
 * one and the old previous one is forgotten, so the oldest ids go first (FIFO, a generation at a
 * time). An id is remembered for at least the `capacity` ids after it; at most 2 × capacity are held.
 * Capacity 0 remembers nothing.
 *
 * Each generation is an open-addressing table (FNV-1a hashes in an Int32Array, linear probing, load
 * at most 1/2) over (device, id) pairs whose characters are copied into one Uint16Array: no key
 * string is built and none is kept, so the garbage collector never copies or promotes an id (it did
 * for every one while they were held as strings, which cost more than the lookups), and forgetting
 * a generation is one fill.
 */
export class RecentIds {
  private current: Generation;
  private previous: Generation;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0)
      throw new RangeError(`dedupeCapacity must be a whole number >= 0, got ${capacity}`);
    this.current = new Generation(capacity);
    this.previous = new Generation(capacity);
  }

  /** True when (device, id) is remembered; otherwise remembers it and returns false. */
  seenOrAdd(device: string, id: string): boolean {
    if (this.capacity === 0) return false;
    const h = hashPair(device, id);
    if (this.current.has(h, device, id) || this.previous.has(h, device, id)) return true;
    if (this.current.size >= this.capacity) {
      const old = this.previous;
      old.clear();
      this.previous = this.current;
      this.current = old;
    }
    this.current.add(h, device, id);
    return false;
  }

  /** The remembered [device, id] pairs, oldest first, and how many of the newest form the current generation. */
  toJSON(): { readonly pairs: [string, string][]; readonly current: number } {
    return { pairs: [...this.previous.pairs(), ...this.current.pairs()], current: this.current.size };
  }

  /** Restores `toJSON`'s output generation for generation. */
  static from(
    capacity: number,
    saved: { readonly pairs: readonly (readonly [string, string])[]; readonly current: number },
  ): RecentIds {
    const r = new RecentIds(capacity);
    if (capacity === 0) return r;
    const split = saved.pairs.length - saved.current;
    for (const [device, id] of saved.pairs.slice(Math.max(0, split - capacity), split))
      r.previous.add(hashPair(device, id), device, id);
    for (const [device, id] of saved.pairs.slice(split)) r.seenOrAdd(device, id);
    return r;
  }
}

class Generation {
  size = 0;
  private readonly mask: number;
  /** hash | 1 (never 0, which marks a free slot). */
  private readonly hashes: Int32Array;
  /** Per slot: where its device's characters start in `chars`, then the device's and the id's lengths. */
  private readonly starts: Int32Array;
  private readonly deviceLengths: Int32Array;
  private readonly idLengths: Int32Array;
  /** Slots in insertion order, for snapshots. */
  private readonly order: Int32Array;
  private readonly initialChars: number;
  /** Device then id, UTF-16 code units, of every pair in insertion order; `used` of them are taken. */
  private chars: Uint16Array;
  private used = 0;

  constructor(capacity: number) {
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.starts = new Int32Array(slots);
    this.deviceLengths = new Int32Array(slots);
    this.idLengths = new Int32Array(slots);
    this.order = new Int32Array(Math.max(capacity, 1));
    this.initialChars = Math.max(capacity, 1) * 16;
    this.chars = new Uint16Array(this.initialChars);
  }

  has(h: number, device: string, id: string): boolean {
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const stored = this.hashes[slot] as number;
      if (stored === 0) return false;
      if (
        stored === h &&
        this.deviceLengths[slot] === device.length &&
        this.idLengths[slot] === id.length &&
        this.holds(this.starts[slot] as number, device, id)
      )
        return true;
    }
  }

  /** Adds a pair known to be absent, while size < capacity. */
  add(h: number, device: string, id: string): void {
    let slot = h & this.mask;
    while (this.hashes[slot] !== 0) slot = (slot + 1) & this.mask;
    const at = this.used;
    const dl = device.length,
      il = id.length;
    if (at + dl + il > this.chars.length) this.grow(at + dl + il);
    const chars = this.chars;
    for (let k = 0; k < dl; k++) chars[at + k] = device.charCodeAt(k);
    for (let k = 0; k < il; k++) chars[at + dl + k] = id.charCodeAt(k);
    this.used = at + dl + il;
    this.hashes[slot] = h;
    this.starts[slot] = at;
    this.deviceLengths[slot] = dl;
    this.idLengths[slot] = il;
    this.order[this.size] = slot;
    this.size += 1;
  }

  clear(): void {
    if (this.size === 0) return;
    this.hashes.fill(0);
    this.size = 0;
    this.used = 0;
    // Give back what a run of unusually long ids took.
    if (this.chars.length > 4 * this.initialChars) this.chars = new Uint16Array(this.initialChars);
  }

  pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (let k = 0; k < this.size; k++) {
      const slot = this.order[k] as number;
      const at = this.starts[slot] as number,
        dl = this.deviceLengths[slot] as number;
      out.push([this.text(at, dl), this.text(at + dl, this.idLengths[slot] as number)]);
    }
    return out;
  }

  private holds(at: number, device: string, id: string): boolean {
    const chars = this.chars;
    const dl = device.length;
    for (let k = 0; k < dl; k++) if (chars[at + k] !== device.charCodeAt(k)) return false;
    at += dl;
    for (let k = 0; k < id.length; k++) if (chars[at + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  private grow(needed: number): void {
    let length = this.chars.length * 2;
    while (length < needed) length *= 2;
    const bigger = new Uint16Array(length);
    bigger.set(this.chars.subarray(0, this.used));
    this.chars = bigger;
  }

  private text(at: number, length: number): string {
    let out = '';
    for (let k = 0; k < length; k += 4096)
      out += String.fromCharCode(...this.chars.subarray(at + k, at + Math.min(length, k + 4096)));
    return out;
  }
}

/** FNV-1a over device, a separator, then id; never 0. */
function hashPair(device: string, id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < device.length; i++) h = Math.imul(h ^ device.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xffff, 0x01000193);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 1;
}
