/** FNV-1a (32-bit) offset basis and prime. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`: a fixed, non-cryptographic hash (unsigned result). */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The partition of a partition key: FNV-1a (32-bit) of the key's UTF-8 bytes, modulo the partition
 * count. It depends on nothing but the key and the count, so every process and every restart agrees.
 * (Event Hubs uses its own hash: the same key keeps its partition within one adapter, not across adapters.)
 */
export function partitionForKey(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}
