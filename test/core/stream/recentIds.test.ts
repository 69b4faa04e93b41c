import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../../src/core/stream/recentIds.js';
import { seeded } from './streamFixtures.js';

/** The specification of RecentIds, written plainly: two generations of at most `capacity` pairs, as Maps. */
class ModelIds {
  private current = new Map<string, [string, string]>();
  private previous = new Map<string, [string, string]>();
  constructor(private readonly capacity: number) {}

  seenOrAdd(device: string, id: string): boolean {
    if (this.capacity === 0) return false;
    const key = JSON.stringify([device, id]);
    if (this.current.has(key) || this.previous.has(key)) return true;
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, [device, id]);
    return false;
  }

  toJSON(): { pairs: [string, string][]; current: number } {
    return { pairs: [...this.previous.values(), ...this.current.values()], current: this.current.size };
  }
}

/** Ids and devices that stress the character store: empty, long (past its initial size), surrogates, NUL. */
function pick(rnd: () => number, pool: readonly string[]): string {
  return pool[Math.floor(rnd() * pool.length)]!;
}

const devices = ['0', '1', '7', 'd', 'device-α', '\ud83d\ude00', 'x'.repeat(300), ''];
const idParts = ['e', 'r', '\u0000', '\ud800', 'é', 'y'.repeat(5000), ''];

describe('RecentIds: generational producer-id memory', () => {
  it.each([0, 1, 2, 3, 16, 100])(
    'answers as the plain two-generation model does, snapshots included (capacity %i)',
    (capacity) => {
      const rnd = seeded(1000 + capacity);
      let ids = new RecentIds(capacity);
      const model = new ModelIds(capacity);
      let seen = 0;
      for (let k = 0; k < 6000; k++) {
        // Mostly one device and plain ids, so that ids come back while still remembered.
        const device = rnd() < 0.8 ? '0' : pick(rnd, devices);
        const id = `${rnd() < 0.8 ? 'e' : pick(rnd, idParts)}${Math.floor(rnd() * (capacity + 2))}`;
        const answer = ids.seenOrAdd(device, id);
        expect(answer, `${k}: ${device}/${id.slice(0, 20)}`).toBe(model.seenOrAdd(device, id));
        if (answer) seen += 1;
        if (k % 997 === 0) {
          expect(ids.toJSON()).toEqual(model.toJSON());
          ids = RecentIds.from(capacity, JSON.parse(JSON.stringify(ids.toJSON())) as ReturnType<RecentIds['toJSON']>);
        }
      }
      expect(ids.toJSON()).toEqual(model.toJSON());
      if (capacity > 0) expect(seen).toBeGreaterThan(500);
    },
  );

  it('keeps a device and an id apart: ("ab", "c") is not ("a", "bc")', () => {
    const ids = new RecentIds(10);
    expect(ids.seenOrAdd('ab', 'c')).toBe(false);
    expect(ids.seenOrAdd('a', 'bc')).toBe(false);
    expect(ids.seenOrAdd('ab', 'c')).toBe(true);
    expect(ids.toJSON().pairs).toEqual([
      ['ab', 'c'],
      ['a', 'bc'],
    ]);
  });

  it('tells apart two pairs whose hashes collide, by their characters', () => {
    // ('0', 'e329599') and ('0', 'e532382') have the same 32-bit FNV-1a hash (found by search).
    const ids = new RecentIds(10);
    expect(ids.seenOrAdd('0', 'e329599')).toBe(false);
    expect(ids.seenOrAdd('0', 'e532382')).toBe(false);
    expect(ids.seenOrAdd('0', 'e532382')).toBe(true);
    expect(ids.seenOrAdd('1', 'e329599')).toBe(false);
  });
});
