// `npm run bench:heldout-codes`: why held-out colour-shape pairs are hard for a model over today's image
// codes, measured. A held-out pair's object covers the 2x2 patches of its cell; this counts how many of
// those patches get a VQ code that no training scene ever has (the model would have to produce a code it was
// never trained to produce), against the same count for trained pairs in the same cells. Beside it, the
// same question for a factorised patch code that keeps shape apart from colour: (the patch's
// foreground mask, its foreground colour, its background colour), each part alone seen in training? And
// for the model's own factoring of the codes (codeFactors=1): is every factor row of the code a held-out
// pair's patch gets also a row of some code that training scenes have?
import {
  BACKGROUNDS,
  HELDOUT_PAIRS,
  isHeldoutPair,
  nearestColor,
  OBJECT_COLORS,
  PALETTE_NAMES,
  renderScene,
  type Scene,
  SHAPES,
  SIZES,
  sampleScene,
} from '../src/data/index.js';
import { tokenizerFactors } from '../src/model/index.js';
import { Rng } from '../src/tensor/index.js';
import { defaultImageTokenizerDir, Vqvae } from '../src/tokenizers/index.js';

const TRAIN_SCENES = Number(process.env.TRAIN_SCENES ?? 3000);
const vq = Vqvae.load(defaultImageTokenizerDir());
const S = 64;
const P = 8;

/** Per patch: its code, and the factorised description (mask of non-background pixels, colours). */
interface PatchInfo {
  code: number;
  mask: string;
  fg: string;
  bg: string;
}

function patches(scenes: Scene[]): PatchInfo[][] {
  const imgs = scenes.map(renderScene);
  const out: PatchInfo[][] = [];
  for (let i = 0; i < imgs.length; i += 64) {
    const codes = vq.encode(imgs.slice(i, i + 64).map((m) => m.data));
    codes.forEach((c, j) => {
      const img = imgs[i + j];
      const bg = scenes[i + j].background;
      const row: PatchInfo[] = [];
      for (let p = 0; p < 64; p++) {
        const x0 = (p % 8) * P;
        const y0 = Math.floor(p / 8) * P;
        let mask = '';
        const fg = new Set<string>();
        for (let y = y0; y < y0 + P; y++)
          for (let x = x0; x < x0 + P; x++) {
            const k = (y * S + x) * 3;
            const name = nearestColor([img.data[k], img.data[k + 1], img.data[k + 2]], PALETTE_NAMES);
            mask += name === bg ? '0' : '1';
            if (name !== bg) fg.add(name);
          }
        row.push({ code: c[p], mask, fg: [...fg].sort().join('+'), bg });
      }
      out.push(row);
    });
  }
  return out;
}

// the model's own factoring of the codes (codeFactors=1: src/model/code-factors.ts), from the decoded tiles
const factors = tokenizerFactors(vq).index;
const rowsOf = (code: number) => [factors[code * 3], factors[code * 3 + 1], factors[code * 3 + 2]];

const rng = new Rng(7);
const train = patches(Array.from({ length: TRAIN_SCENES }, () => sampleScene(rng, 'train')));
const seen = {
  code: new Set<number>(),
  mask: new Set<string>(),
  fg: new Set<string>(),
  bg: new Set<string>(),
  row: new Set<number>(),
};
for (const row of train)
  for (const p of row) {
    seen.code.add(p.code);
    for (const r of rowsOf(p.code)) seen.row.add(r);
    seen.mask.add(p.mask);
    seen.fg.add(p.fg);
    seen.bg.add(`${p.fg}/${p.bg}`);
  }

/** One object alone in a cell, every pair, size and background, in cells 0, 4 and 8. */
function objectPatches(pairs: (readonly [string, string])[]) {
  const scenes: Scene[] = [];
  const cells: number[] = [];
  for (const [color, shape] of pairs)
    for (const size of SIZES)
      for (const background of BACKGROUNDS)
        for (const cell of [0, 4, 8]) {
          scenes.push({
            background,
            objects: [{ color, shape, size, cell } as Scene['objects'][number]],
            sign: null,
            character: null,
          });
          cells.push(cell);
        }
  const rows = patches(scenes);
  const picked: PatchInfo[] = [];
  rows.forEach((row, i) => {
    const r0 = 1 + Math.floor(cells[i] / 3) * 2;
    const c0 = 1 + (cells[i] % 3) * 2;
    for (const [dr, dc] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ])
      picked.push(row[(r0 + dr) * 8 + c0 + dc]);
  });
  return picked;
}

function report(name: string, ps: PatchInfo[]) {
  const share = (f: (p: PatchInfo) => boolean) => (ps.filter(f).length / ps.length).toFixed(3);
  console.log(
    `| ${name} | ${ps.length} | ${share((p) => !seen.code.has(p.code))} | ${share((p) => !seen.mask.has(p.mask))} | ` +
      `${share((p) => !seen.fg.has(p.fg))} | ${share((p) => !seen.bg.has(`${p.fg}/${p.bg}`))} | ` +
      `${share((p) => !seen.mask.has(p.mask) || !seen.bg.has(`${p.fg}/${p.bg}`))} | ` +
      `${share((p) => rowsOf(p.code).some((r) => !seen.row.has(r)))} |`,
  );
}

const trainedPairs = OBJECT_COLORS.flatMap((c) => SHAPES.map((s) => [c, s] as const)).filter(
  ([c, s]) => !isHeldoutPair(c, s),
);
console.log(
  `${TRAIN_SCENES} training scenes: ${seen.code.size} distinct codes of ${vq.codebookSize}, ${seen.mask.size} masks`,
);
console.log(
  "| objects | patches | VQ code never in training | mask never | fg colour never | (fg, bg) never | factorised: some part never | its code's factor rows (codeFactors): some row never |",
);
console.log('|---|---|---|---|---|---|---|---|');
report('held-out pairs', objectPatches([...HELDOUT_PAIRS]));
report('trained pairs', objectPatches(trainedPairs));
