// Editing with the high-level API: a scene of the model's world rendered and encoded as PNG bytes (as a
// file read or an upload would give them), then edited by an instruction. Run: node edit.js [OUT_DIR].
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, loadTessera, renderScene, type Scene, toPng } from 'tessera';

const out = process.argv[2] ?? 'out';
const scene: Scene = {
  background: 'white',
  objects: [{ shape: 'circle', color: 'red', size: 'large', cell: 0 }],
  sign: null,
  character: null,
};
const png = encodePng(renderScene(scene)); // edit() also takes an RgbImage or a PNG file's path
const tessera = loadTessera();
const [edited] = tessera.edit(png, 'make the large red circle blue');
mkdirSync(out, { recursive: true });
const file = join(out, 'edit.png');
writeFileSync(file, toPng(edited));
console.log(`image: ${file}`);
