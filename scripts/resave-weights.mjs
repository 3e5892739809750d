// Re-saves safetensors files with the current writer (same tensors, same metadata), so files from before the
// order-independent checksum (`tessera_tensors_crc32`, src/tensor/safetensors.ts) carry it: a copy another
// tool re-saves in another order then still verifies. Checks that every tensor reads back identical.
//   node scripts/resave-weights.mjs models/*/weights.safetensors models/*/image-tokenizer/weights.safetensors
import { readSafetensors, writeSafetensors } from '../dist/src/tensor/index.js';

for (const file of process.argv.slice(2)) {
  const before = readSafetensors(file);
  writeSafetensors(file, before.tensors, before.metadata);
  const after = readSafetensors(file);
  for (const [name, t] of before.tensors) {
    const u = after.tensors.get(name);
    if (
      !u ||
      Buffer.compare(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      ) !== 0
    )
      throw new Error(`${file}: ${name} did not read back identical`);
  }
  console.log(`${file}: ${before.tensors.size} tensors, checksum ${before.checksum} -> ${after.checksum}`);
}
