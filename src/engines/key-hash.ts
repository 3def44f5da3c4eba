/** Hashing 128-bit keys (four 32-bit words), shared by the in-memory id set and its spilled runs. */

/** MurmurHash3 (x86, 32-bit) of the four words, seeded; unsigned. */
export function hash128(seed: number, a: number, b: number, c: number, d: number): number {
  let h = seed;
  h = mixWord(h, a);
  h = mixWord(h, b);
  h = mixWord(h, c);
  h = mixWord(h, d);
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Where a 32-bit hash falls among `n` slots: hash / 2^32 scaled to n (Lemire's reduction, no
 * modulo). hash < 2^32 keeps the product below `n` even once rounded to a double.
 */
export function reduce(hash: number, n: number): number {
  return Math.floor((hash / 4294967296) * n);
}

/** One MurmurHash3 block: the word scrambled and folded into `h`. */
function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
