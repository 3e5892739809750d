// The held-out split's hash (a pure function of attributes). Random numbers: tensor's Rng, its world stream
// (Rng.world), which is this file's generator of before, kept bit for bit.
/** FNV-1a 32-bit hash of a string: the basis of the held-out split, a pure function of attributes. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
