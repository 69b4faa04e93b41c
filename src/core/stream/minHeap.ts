/** A binary min-heap of numbers, each held at most once (pushing one it holds is a no-op). */
export class NumberHeap {
  private readonly items: number[] = [];
  private readonly held = new Set<number>();

  get size(): number {
    return this.items.length;
  }

  /** The smallest, or Infinity when empty. */
  peek(): number {
    return this.items.length > 0 ? (this.items[0] as number) : Infinity;
  }

  push(x: number): void {
    if (this.held.has(x)) return;
    this.held.add(x);
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as number;
      if (p <= x) break;
      a[i] = p;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0] as number;
    this.held.delete(top);
    const last = a.pop() as number;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (a[r] as number) < (a[l] as number) ? r : l;
        if ((a[c] as number) >= last) break;
        a[i] = a[c] as number;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
    this.held.clear();
  }
}
