// Factored image codes (src/model/code-factors.ts, ModelConfig.codeFactorRows): tiles read into (mask,
// foreground, background) with the background the more common colour and a few stray pixels allowed; the
// model's code logits are h . (A_mask + A_fg + A_bg) on every path that computes them, trained through
// img.factor, saved, and refused with a clear error where the rows do not fit; and a toy of the head alone
// in which held-out shape-colour pairs are drawn where the pixel-linear head draws few.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWorldItem, PALETTE } from '../../src/data/index.js';
import {
  canonicalCodes,
  codeFactors,
  loadModel,
  MultimodalModel,
  modelConfig,
  saveModel,
  tokenizerFactors,
} from '../../src/model/index.js';
import { noGrad, Rng, Tensor, tidy } from '../../src/tensor/index.js';
import type { ImageTokenizer } from '../../src/tokenizers/image/types.js';
import { makeBatch } from '../../src/train/batch.js';
import { Trainer, trainConfig } from '../../src/train/index.js';
import { assertCodeLogitPaths } from '../helpers/code-logits.js';
import { testTokenizers } from '../helpers/model.js';
import { composedHeldOut, toyTiles } from '../helpers/toy-head.js';

const WHITE = PALETTE.white;
const RED = PALETTE.red;
const BLUE = PALETTE.blue;

/** A 4x4 tile (p = 4) from a 16-character string: '.' white, 'r' red, 'b' blue, 'g' green, 'p' pink. */
function tile(rows: string): number[] {
  const of: Record<string, readonly number[]> = { '.': WHITE, r: RED, b: BLUE, g: PALETTE.green, p: PALETTE.pink };
  return [...rows].flatMap((ch) => [...of[ch]]);
}

test('codeFactors: masks, colours, the background the more common colour, stray pixels', () => {
  const tiles = [
    tile('................'), // 0: white alone
    tile('.rr..rr.........'), // 1: red on white
    tile('.bb..bb.........'), // 2: the same mask in blue
    tile('rrrrrrrrrrrrrrr.'), // 3: mostly red, but white is the more common colour overall: still red on white
    tile('.rr..rr..p......'), // 4: one stray pink pixel: red on white, the stray pixel read as white (nearer)
    tile('rgbrgbrgb.......'), // 5: four colours: a code of its own
  ];
  // a little VQ-like noise on every pixel: still the nearest palette colour
  const bytes = Uint8Array.from(tiles.flat(), (v, i) => Math.max(0, Math.min(255, v + ((i * 7) % 11) - 5)));
  const f = codeFactors(bytes, tiles.length, 4);
  const C = Object.keys(PALETTE).length;
  assert.equal(f.factored, 5);
  assert.equal(f.masks, 3, 'empty, the 2x2 block, all but the last pixel');
  assert.equal(f.colors, C);
  assert.equal(f.rows, f.masks + 1 + 2 * C + 1);
  const rows = (k: number) => Array.from(f.index.subarray(k * 3, k * 3 + 3));
  const [empty, block] = [rows(0)[0], rows(1)[0]];
  const none = f.rows - 1;
  assert.equal(rows(0)[1], none, 'one colour: no foreground');
  assert.deepEqual(rows(2).slice(0, 1), [block], 'blue shares the mask of red');
  assert.notEqual(rows(1)[1], rows(2)[1], 'and has its own foreground colour row');
  assert.equal(rows(1)[2], rows(2)[2], 'both on the white background row');
  assert.equal(rows(0)[2], rows(1)[2], 'white alone is that background too');
  assert.equal(rows(3)[1], rows(1)[1], 'mostly red is still red on white');
  assert.equal(rows(3)[2], rows(1)[2]);
  assert.notEqual(rows(3)[0], block);
  assert.deepEqual(rows(4), rows(1), 'a stray pixel is read as the nearer of the two colours');
  assert.deepEqual(rows(5).slice(1), [none, none], 'a code of its own');
  assert.ok(rows(5)[0] >= f.masks && rows(5)[0] < f.masks + 1);
  assert.ok(empty !== block);
  assert.deepEqual(codeFactors(bytes, tiles.length, 4).index, f.index, 'deterministic');
  assert.throws(() => codeFactors(bytes.subarray(1), tiles.length, 4), /bytes for 6 tiles/);
});

const tok = testTokenizers();
const K = tok.image.codebookSize;
const factored = (keepCode = 0) =>
  new MultimodalModel(
    modelConfig(
      {
        textVocabSize: tok.text.vocabSize,
        imageCodebookSize: K,
        keepCode,
        codeFactorRows: tokenizerFactors(tok.image).rows,
      },
      'tiny',
    ),
    tok.image,
  );

for (const keepCode of [0, 1])
  test(`factored codes: logit_k = h . (A_mask + A_fg + A_bg) on every code-logit path (keepCode ${keepCode})`, () => {
    const m = factored(keepCode);
    assert.equal(m.params.map.has('img.out'), false, 'no pixel-linear head');
    const f = tokenizerFactors(tok.image);
    assert.ok(f.factored > K / 2, `${f.factored} of ${K} codes factored`);
    const A = m.params.get('img.factor').data;
    const C = m.config.nEmbd;
    const rng = new Rng(3);
    const N = 300;
    const h = new Tensor(rng.fillNormal(new Float32Array(N * C)), [N, C]);
    const outs = m.codeCount;
    const keep = keepCode ? m.params.get('img.keep').data : null;
    const canonical = canonicalCodes(f, tok.image);
    const want = new Float32Array(N * outs);
    for (let i = 0; i < N; i++)
      for (let k = 0; k < outs; k++) {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const e =
            k < K
              ? A[f.index[k * 3] * C + c] + A[f.index[k * 3 + 1] * C + c] + A[f.index[k * 3 + 2] * C + c]
              : keep![c];
          s += e * h.data[i * C + c];
        }
        want[i * outs + k] = s + (k < K && canonical[k] !== k ? -1e9 : 0);
      }
    assertCodeLogitPaths(m, tok, h, want);
  });

test('factored codes: the loss trains img.factor (gradient = finite difference), is saved, and is refused where it cannot fit', () => {
  const m = factored();
  const b = makeBatch([makeWorldItem('t2i', 'train', 1, 0)], tok, m.config.blockSize, 0, new Rng(1));
  const loss = () => m.lossFrom(m.hidden(b.ids, b.pos2d, 1, b.T), b.targets).data[0];
  const A = m.params.get('img.factor');
  tidy(() => {
    m.params.zeroGrad();
    m.lossFrom(m.hidden(b.ids, b.pos2d, 1, b.T), b.targets).backward();
  });
  const grad = A.grad!.slice();
  // the rows of the first image target's code, where the gradient is largest
  const code = b.targets.find((t) => t >= m.config.textVocabSize)! - m.config.textVocabSize;
  const row = tokenizerFactors(tok.image).index[code * 3];
  const at = row * m.config.nEmbd;
  assert.ok(Math.abs(grad[at]) > 0, "the target code's mask row gets a gradient");
  const eps = 1e-2;
  const v = A.data[at];
  A.data[at] = v + eps;
  const up = noGrad(loss);
  A.data[at] = v - eps;
  const down = noGrad(loss);
  A.data[at] = v;
  const numeric = (up - down) / (2 * eps);
  assert.ok(Math.abs(numeric - grad[at]) < 0.05 * Math.abs(grad[at]) + 1e-4, `${grad[at]} vs ${numeric}`);

  const dir = mkdtempSync(join(tmpdir(), 'tessera-factors-'));
  try {
    A.data.fill(0.125, 0, 10);
    saveModel(join(dir, 'm'), m, tok);
    const back = loadModel(join(dir, 'm')).model;
    assert.equal(back.config.codeFactorRows, m.config.codeFactorRows);
    assert.deepEqual(back.params.get('img.factor').data, A.data);
    const rows = m.config.codeFactorRows;
    assert.throws(
      () =>
        new MultimodalModel(
          modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: K, codeFactorRows: rows + 1 }, 'tiny'),
          tok.image,
        ),
      new RegExp(`have ${rows} factor rows, the config says ${rows + 1}`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => modelConfig({ codeFactorRows: 10, maskColorRank: 2 }), /cannot both be set/);
  assert.throws(() => modelConfig({ codeFactorRows: -1 }), /codeFactorRows must be an integer >= 0/);
  assert.throws(() => trainConfig({ codeFactors: 2 }), /codeFactors must be 0 or 1/);
});

/** A tokenizer of 4 codes, 8x8 tiles on a 2x2 grid: 0 white, 1 white with one off-white pixel, 2 with two,
 *  3 a red square; it encodes every near-white tile as code 1 (the twin real images get). 0-2 are one
 *  triple: their stray pixels are nearest to white. */
function twinTokenizer(): ImageTokenizer {
  const tiles = [0, 1, 2, 3].map((k) => {
    const t = new Uint8Array(192).fill(255);
    for (let i = 0; i < k && k < 3; i++) t.set([235, 235, 235], (9 + 9 * i) * 3); // read as white
    if (k === 3) for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) t.set(RED, (y * 8 + x) * 3);
    return t;
  });
  return {
    codebookSize: 4,
    grid: 2,
    imageSize: 16,
    decode: (grids) =>
      grids.map((g) => {
        const img = new Uint8Array(16 * 16 * 3);
        g.forEach((code, j) => {
          for (let y = 0; y < 8; y++)
            img.set(tiles[code].subarray(y * 24, y * 24 + 24), ((Math.floor(j / 2) * 8 + y) * 16 + (j % 2) * 8) * 3);
        });
        return img;
      }),
    encode: (images) =>
      images.map((img) =>
        Int32Array.from({ length: 4 }, (_, j) => {
          let red = 0;
          for (let y = 0; y < 8; y++)
            for (let x = 0; x < 8; x++) {
              const o = ((Math.floor(j / 2) * 8 + y) * 16 + (j % 2) * 8 + x) * 3;
              if (img[o] > 200 && img[o + 1] < 100) red++;
            }
          return red > 0 ? 3 : 1;
        }),
      ),
  };
}

test('twins (codes of one factor triple): one stands for all, read and trained as it, the others never drawn', () => {
  const image = twinTokenizer();
  const f = tokenizerFactors(image);
  assert.deepEqual(Array.from(canonicalCodes(f, image)), [1, 1, 1, 3], 'the twin the tokenizer encodes to');
  const m = new MultimodalModel(
    modelConfig(
      { textVocabSize: 300, imageCodebookSize: 4, imageGrid: 2, keepCode: 1, codeFactorRows: f.rows },
      'tiny',
    ),
    image,
  );
  const C = m.config.nEmbd;
  const h = new Tensor(new Rng(2).fillNormal(new Float32Array(2 * C)), [2, C]);
  noGrad(() => {
    for (const logits of [m.imageLogits(h).data, m.imageLogitsMany(h).data])
      for (let i = 0; i < 2; i++) {
        assert.ok(logits[i * 5] < -1e8 && logits[i * 5 + 2] < -1e8, 'codes 0 and 2 are masked');
        assert.ok(Math.abs(logits[i * 5 + 1]) < 1e3 && Math.abs(logits[i * 5 + 4]) < 1e3, 'code 1 and KEEP are not');
      }
    // a twin in the input is read as its canonical code; a twin as a target is trained as it
    const seq = (code: number) => Int32Array.from([5, 300 + code, 300 + 3, 7]);
    const pos = Int32Array.from([-1, 0, 1, -1]);
    const [a, b] = [0, 1].map((c) => Array.from(m.hidden(seq(c), pos, 1, 4).data));
    assert.deepEqual(a, b);
    const hid = m.hidden(seq(1), pos, 1, 4);
    const loss = (code: number) => m.lossFrom(hid, Int32Array.from([300 + code, -1, -1, -1])).data[0];
    assert.equal(loss(2), loss(1));
    assert.ok(loss(3) !== loss(1));
  });
});

test('withCodeFactors: the rows are the least-squares fit of the old code embeddings; own codes exactly', () => {
  const plain = new MultimodalModel(
    modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: K, keepCode: 1 }, 'tiny'),
    tok.image,
  );
  const C = plain.config.nEmbd;
  const E = noGrad(() => plain.codeEmbeddings().data.slice(0, K * C));
  const m = plain.withCodeFactors(tok.image);
  assert.equal(m.withCodeFactors(tok.image), m, 'already has them');
  assert.equal(m.params.map.has('img.out'), false);
  assert.deepEqual(m.params.get('img.keep').data, plain.params.get('img.keep').data, 'other weights copied');
  assert.deepEqual(m.params.get('wte').data, plain.params.get('wte').data);
  const f = tokenizerFactors(tok.image);
  const A = m.params.get('img.factor').data;
  const fitted = noGrad(() => m.codeEmbeddings().data);
  // the normal equations hold: for every row, the residuals of the codes that use it sum to ~ -ridge * A
  const grad = new Float64Array(f.rows * C);
  for (let k = 0; k < K; k++)
    for (const r of f.index.subarray(k * 3, k * 3 + 3))
      for (let c = 0; c < C; c++) grad[r * C + c] += fitted[k * C + c] - E[k * C + c];
  let worst = 0;
  for (let i = 0; i < grad.length; i++) worst = Math.max(worst, Math.abs(grad[i] + 1e-3 * A[i]));
  assert.ok(worst < 1e-4, `normal equations off by ${worst}`);
  // a code of its own row: its embedding is kept (to the ridge)
  const own = Array.from({ length: K }, (_, k) => k).filter((k) => f.index[k * 3] >= f.masks);
  for (const k of own.slice(0, 20))
    for (let c = 0; c < C; c++) assert.ok(Math.abs(fitted[k * C + c] - E[k * C + c]) < 1e-3, `own code ${k}`);
  // and the fit beats any other table: perturbing it raises the squared error
  const err = (emb: Float32Array) => emb.reduce((a, v, i) => a + (v - E[i]) ** 2, 0);
  A[0] += 0.01;
  const worse = noGrad(() => m.codeEmbeddings().data.slice(0, K * C));
  assert.ok(err(worse) > err(fitted.slice(0, K * C)));
});

test('train: codeFactors=1 builds a factored model from scratch, and gives one to a model folder without it', () => {
  const cfg = trainConfig({ model: 'tiny', textVocab: 300, imageCodes: 256, steps: 1, codeFactors: 1, evalN: 0 });
  const t = Trainer.create(cfg);
  assert.ok(t.model.config.codeFactorRows > 0);
  assert.equal(t.model.params.map.has('img.factor'), true);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-factors-init-'));
  try {
    const plain = new MultimodalModel(
      modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: K }, 'tiny'),
      tok.image,
    );
    saveModel(join(dir, 'plain'), plain, tok);
    const up = Trainer.create(trainConfig({ ...cfg, init: join(dir, 'plain') }));
    assert.equal(up.model.config.codeFactorRows, tokenizerFactors(tok.image).rows);
    assert.throws(
      () => plain.withMaskColor(2, tok.image).withCodeFactors(tok.image),
      /mask-times-colour term cannot have factored codes/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// What the factors are for: the toy of the head alone (test/helpers/toy-head.ts; palette colours). The
// pixel-linear head draws few held-out pairs; with factored codes the held-out pair's code is scored by the
// shape's mask row and the colour's row, each trained on the other pairs, and is drawn.
const toy = toyTiles([PALETTE.red, PALETTE.blue, PALETTE.green, PALETTE.yellow]);
const toyModel = (withFactors: boolean, seed: number) =>
  new MultimodalModel(
    modelConfig(
      { textVocabSize: 300, imageCodebookSize: 16, seed, codeFactorRows: withFactors ? tokenizerFactors(toy).rows : 0 },
      'tiny',
    ),
    toy,
  );
const composed = (withFactors: boolean, seed: number) =>
  composedHeldOut(toyModel(withFactors, seed), [withFactors ? 'img.factor' : 'img.out'], seed);

test('a toy of the head: held-out shape-colour pairs drawn with factored codes, rarely without', () => {
  const total = (f: boolean) => [1, 2, 3, 4, 5].reduce((a, seed) => a + composed(f, seed), 0);
  const pixelLinear = total(false);
  const withFactors = total(true);
  console.log(`held-out pairs drawn of 20: pixel-linear ${pixelLinear}, factored ${withFactors}`);
  assert.ok(withFactors >= 18, `factored codes drew ${withFactors} of 20 held-out pairs`);
  assert.ok(pixelLinear <= 10, `the pixel-linear head drew ${pixelLinear} of 20 held-out pairs`);
});
