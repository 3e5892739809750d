// Text to image with the high-level API: two variants of a prompt from the shipped model, written as PNGs
// (scaled 4x for viewing). Run: node generate.js [OUT_DIR]. Prints each file, then the backend that ran.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTessera, toPng } from 'tessera';

const out = process.argv[2] ?? 'out';
const tessera = loadTessera(); // the shipped model; Tessera.fromPretrained(dir) loads another folder
const images = tessera.generate('draw a large red circle at the top left, on a white background', { n: 2, seed: 1 });
mkdirSync(out, { recursive: true });
images.forEach((image, i) => {
  const file = join(out, `generate-${i}.png`);
  writeFileSync(file, toPng(image, 4));
  console.log(`image: ${file}`);
});
console.log(`backend: ${tessera.info.backend} (${tessera.info.backendReason})`);
