// A toy of the image head alone, for the heads meant to compose a shape and a colour never seen together
// (mask-color.test.ts, code-factors.test.ts): 16 tiles, 4 shapes x 4 colours on white, one 8x8 patch each;
// 12 pairs trained and 4 held out so that every shape and every colour is still trained three times. A
// row's hidden state is a learned shape vector plus a learned colour vector (additive, as attention that
// copies the prompt's words would give); the head is trained with weight decay 0.1 for 1500 steps to draw
// the tile of its pair, and the held-out pairs it then draws (argmax) are counted. The rate decays to zero
// so that what is counted is the fit, not where an oscillation stopped: at a constant rate the counts moved
// by half with the order of a sum (another GEMM) and a trained pair could be missed.
import assert from 'node:assert/strict';
import type { MultimodalModel } from '../../src/model/index.js';
import { AdamW, add, crossEntropy, embedding, noGrad, Params, Rng, tidy } from '../../src/tensor/index.js';
import { PatchPaletteTokenizer } from '../../src/tokenizers/image/patch-palette.js';

export const SHAPE_MASKS: ((y: number, x: number) => boolean)[] = [
  (y, x) => y >= 1 && y <= 6 && x >= 1 && x <= 6, // square
  (y, x) => (y - 3.5) ** 2 + (x - 3.5) ** 2 <= 9, // circle
  (y, x) => y >= 1 && y <= 6 && Math.abs(x - 3.5) <= (y - 0.5) / 2, // triangle
  (y, x) => (y >= 3 && y <= 4) || (x >= 3 && x <= 4), // cross
];
export const HELD = [0 * 4 + 1, 1 * 4 + 2, 2 * 4 + 3, 3 * 4 + 0]; // shape * 4 + colour

/** The toy's tokenizer: tile shape * 4 + colour is that shape in colours[colour] on white. */
export function toyTiles(colors: readonly (readonly number[])[]): PatchPaletteTokenizer {
  const patches = new Uint8Array(16 * 192).fill(255);
  for (let s = 0; s < 4; s++)
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++)
          if (SHAPE_MASKS[s](y, x)) patches.set(colors[c], (s * 4 + c) * 192 + (y * 8 + x) * 3);
  return new PatchPaletteTokenizer(patches);
}

/** Held-out pairs (of 4) drawn by the head of `m` (its weights `headWeights` trained) for one seed. */
export function composedHeldOut(m: MultimodalModel, headWeights: string[], seed: number): number {
  const C = m.config.nEmbd;
  const emb = new Params(new Rng(seed + 1));
  const shapeE = emb.add('shape', [4, C], { kind: 'normal', std: 0.5 });
  const colorE = emb.add('color', [4, C], { kind: 'normal', std: 0.5 });
  const train = Array.from({ length: 16 }, (_, k) => k).filter((k) => !HELD.includes(k));
  const hidden = (ks: number[]) =>
    add(
      embedding(
        shapeE,
        Int32Array.from(ks, (k) => k >> 2),
      ),
      embedding(
        colorE,
        Int32Array.from(ks, (k) => k & 3),
      ),
    );
  const head = new Params(new Rng(5));
  for (const name of headWeights) head.map.set(name, m.params.get(name));
  const opts = { lr: 0.02, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
  const optE = new AdamW(emb, opts);
  const optH = new AdamW(head, opts);
  for (let step = 0; step < 1500; step++)
    tidy(() => {
      emb.zeroGrad();
      head.zeroGrad();
      crossEntropy(m.imageLogitsMany(hidden(train)), Int32Array.from(train)).backward();
      const lr = opts.lr * (1 - step / 1500); // decayed to zero, so that the end is a fit, not an oscillation
      optE.update(lr);
      optH.update(lr);
    });
  const drawn = (ks: number[]) =>
    noGrad(() => {
      const l = m.imageLogitsMany(hidden(ks)).data;
      return ks.filter((k, i) => argmax(l.subarray(i * 16, (i + 1) * 16)) === k).length;
    });
  assert.equal(drawn(train), 12, `${headWeights.join(', ')}, seed ${seed}: every trained pair is drawn`);
  return drawn(HELD);
}

function argmax(a: Float32Array): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
}
