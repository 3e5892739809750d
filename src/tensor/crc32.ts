// CRC-32 (IEEE, as zlib and PNG compute it), written in TypeScript so that the checksums of safetensors
// files and token caches work the same in Node and in a web browser (node:zlib's crc32 is Node-only, and
// only from Node 20.15/22.2). One copy for the whole stack.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes, continuing from `crc` when given (so a file can be checksummed in parts). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
