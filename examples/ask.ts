// Understanding with the high-level API: a question about a PNG file, answered in text by the model.
// Run: node ask.js [OUT_DIR] (the scene it asks about is written there first).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTessera, renderScene, writePng } from 'tessera';

const out = process.argv[2] ?? 'out';
mkdirSync(out, { recursive: true });
const file = join(out, 'scene.png');
writePng(
  file,
  renderScene({
    background: 'white',
    objects: [{ shape: 'triangle', color: 'green', size: 'large', cell: 4 }],
    sign: 'STOP',
    character: null,
  }),
);
const tessera = loadTessera();
const question = 'what does the sign say?';
console.log(`question: ${question}`);
console.log(`answer: ${tessera.ask(file, question)}`);
