/**
 * Event Hubs' partition key → partition mapping: Bob Jenkins' lookup3 `hashlittle2` over the key's
 * UTF-8 bytes (seeds 0), the two 32-bit results XORed and cut to a signed 16-bit integer, modulo
 * the partition count, absolute. It is the service's own mapping, which the SDK's buffered producer
 * reimplements to predict where a keyed event lands (test/adapters/azure/eventHubsEventLog.test.ts
 * checks this copy against the SDK's on many keys). The adapter uses it to know which partition to
 * read back after a keyed send: the service does not say where it put an event.
 */

/** The partition a key's events land in, out of `partitions`. */
export function eventHubsPartitionForKey(key: string, partitions: number): number {
  const { b, c } = hashlittle2(Buffer.from(key, 'utf8'));
  const hash16 = ((c ^ b) << 16) >> 16;
  return Math.abs(hash16 % partitions);
}

const rot = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

function hashlittle2(data: Buffer): { b: number; c: number } {
  let a = (0xdeadbeef + data.length) | 0;
  let b = a;
  let c = a;
  let i = 0;
  let size = data.length;
  const word = (at: number) => data.readUInt32LE(at) | 0;
  while (size > 12) {
    a = (a + word(i)) | 0;
    b = (b + word(i + 4)) | 0;
    c = (c + word(i + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    i += 12;
    size -= 12;
  }
  if (size === 0) return { b: b >>> 0, c: c >>> 0 };
  // The last 1..12 bytes, little-endian, zero-padded: the same sums as lookup3's switch.
  const tail = Buffer.alloc(12);
  data.copy(tail, 0, i, i + size);
  a = (a + (tail.readUInt32LE(0) | 0)) | 0;
  if (size > 4) b = (b + (tail.readUInt32LE(4) | 0)) | 0;
  if (size > 8) c = (c + (tail.readUInt32LE(8) | 0)) | 0;
  // final(a, b, c)
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return { b: b >>> 0, c: c >>> 0 };
}
