// `npm run bench:accessory-reads [MODEL_DIR]`: which patches of the character sprite the model reads when
// it says what the character wears. The sprite is 16x16 pixels, four 8x8 patches; the accessory is in
// its top rows: a hat and a crown cover both top patches, a bow only the top right one. For every
// accessory, each patch in turn is replaced by the same patch of the same sprite without an accessory
// (pixels; the image tokenizer encodes the patch as that sprite's code), and the model is asked "what is
// the character wearing?" (greedy, answerText). A model that reads the accessory where it is drawn
// answers "nothing" once the patch that holds it is replaced, and is unmoved by the others. 18 sprites an
// accessory: 3 backgrounds, 2 faces, 3 cells.
import {
  ACCESSORIES,
  type Accessory,
  BACKGROUNDS,
  type Background,
  cellOrigin,
  FACES,
  PATCH,
  type RgbImage,
  renderScene,
} from '../src/data/index.js';
import { answerText } from '../src/infer/index.js';
import { defaultModelDir, loadModel } from '../src/model/index.js';

const CELLS = [0, 4, 8];
const PATCHES = ['top left', 'top right', 'bottom left', 'bottom right'] as const;
const QUESTION = 'what is the character wearing?';

function sprite(background: Background, face: (typeof FACES)[number], accessory: Accessory, cell: number): RgbImage {
  return renderScene({
    background,
    objects: [],
    sign: null,
    character: { face, eyes: 'blue', body: 'red', accessory, cell },
  });
}

/** `img` with the patch at pixel (x, y) taken from `from`. */
function withPatch(img: RgbImage, from: RgbImage, x: number, y: number): RgbImage {
  const data = img.data.slice();
  for (let r = y; r < y + PATCH; r++)
    for (let c = x; c < x + PATCH; c++)
      for (let ch = 0; ch < 3; ch++) data[(r * img.width + c) * 3 + ch] = from.data[(r * img.width + c) * 3 + ch];
  return { ...img, data };
}

function main(): void {
  const modelDir = process.argv[2] ?? defaultModelDir();
  const engine = loadModel(modelDir);
  const t0 = performance.now();
  const rows: string[] = [];
  for (const acc of ACCESSORIES) {
    const answers: Record<string, number>[] = Array.from({ length: PATCHES.length + 1 }, () => ({}));
    for (const bg of BACKGROUNDS)
      for (const face of FACES)
        for (const cell of CELLS) {
          const img = sprite(bg, face, acc, cell);
          const bare = sprite(bg, face, 'none', cell);
          const o = cellOrigin(cell);
          const variants = [
            img,
            ...PATCHES.map((_, p) => withPatch(img, bare, o.x + (p % 2) * PATCH, o.y + (p >> 1) * PATCH)),
          ];
          variants.forEach((v, i) => {
            const a = answerText(engine, v, QUESTION).trim();
            answers[i][a] = (answers[i][a] ?? 0) + 1;
          });
        }
    const show = (m: Record<string, number>) =>
      Object.entries(m)
        .sort((a, b) => b[1] - a[1])
        .map(([a, n]) => `${a} ${n}`)
        .join(', ');
    rows.push(`| ${acc} | ${answers.map(show).join(' | ')} |`);
  }
  console.log(
    `model ${modelDir}; "${QUESTION}"; 18 sprites an accessory; greedy; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(`| accessory drawn | as drawn | ${PATCHES.map((p) => `${p} patch without it`).join(' | ')} |`);
  console.log(`|---|---|${PATCHES.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(r);
}

main();
