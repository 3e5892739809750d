// The multimodal model's image codes are grounded in their tiles: a code is embedded and scored by what it
// looks like, so a code never seen in training is not a blank; and the loss splits text and code targets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultimodalModel, modelConfig } from '../../src/model/index.js';
import { crossEntropy, noGrad, slice, tidy } from '../../src/tensor/index.js';
import type { ImageTokenizer } from '../../src/tokenizers/image/types.js';

/** 4 codes on a 2x2 grid of 8 px tiles; codes 1 and 3 draw the same tile. */
const tiles: ImageTokenizer = {
  codebookSize: 4,
  grid: 2,
  imageSize: 16,
  encode: () => {
    throw new Error('not used');
  },
  decode: (codes) =>
    codes.map((grid) => {
      const img = new Uint8Array(16 * 16 * 3);
      grid.forEach((k, j) => {
        const shade = [0, 200, 90, 200][k];
        for (let y = 0; y < 8; y++)
          for (let x = 0; x < 8; x++)
            img.fill(
              shade,
              (((j >> 1) * 8 + y) * 16 + (j % 2) * 8 + x) * 3,
              (((j >> 1) * 8 + y) * 16 + (j % 2) * 8 + x) * 3 + 3,
            );
      });
      return img;
    }),
};

const cfg = modelConfig({ textVocabSize: 10, imageCodebookSize: 4, imageGrid: 2, blockSize: 16 }, 'tiny');

test('codes with the same tile get the same logit; per-code rows start at zero', () => {
  const m = new MultimodalModel(cfg, tiles);
  const wte = m.params.get('wte');
  assert.ok(wte.data.subarray(10 * cfg.nEmbd).every((v) => v === 0));
  assert.equal(m.params.get('head.w').shape[0], 10, 'the text head has no rows for codes');
  const logits = noGrad(() => tidy(() => m.forward(Int32Array.of(1, 2, 3), Int32Array.of(-1, -1, -1), 1, 3).toArray()));
  const V = 14;
  for (let t = 0; t < 3; t++) {
    const row = logits.slice(t * V, (t + 1) * V);
    assert.equal(row[10 + 1], row[10 + 3], 'codes 1 and 3 look the same, so they score the same');
    assert.notEqual(row[10 + 1], row[10 + 2]);
  }
});

test('lossFrom: text targets over the text head, code targets over the codes, weighted by count', () => {
  const m = new MultimodalModel(cfg, tiles);
  const ids = Int32Array.of(1, 2, 11, 12);
  const pos = Int32Array.of(-1, -1, 0, 1);
  const targets = Int32Array.of(2, 11, 12, -1); // one text target, two code targets, one none
  tidy(() => {
    const h = m.hidden(ids, pos, 1, 4);
    const got = m.lossFrom(h, targets).item();
    const text = crossEntropy(m.gpt.head(slice(h, 1, 0, 1)), Int32Array.of(2)).item();
    const codes = crossEntropy(m.imageLogits(slice(h, 1, 1, 3)), Int32Array.of(1, 2)).item();
    assert.ok(Math.abs(got - (text + 2 * codes) / 3) < 1e-5, `${got} vs ${(text + 2 * codes) / 3}`);
    // Row losses (for the per-task curves) average to the loss, and each subset to its weighted loss.
    const rows = new Float32Array(4);
    assert.ok(Math.abs(m.lossFrom(h, targets, null, rows).item() - got) < 1e-6);
    assert.equal(rows[3], 0, 'no target, no loss');
    assert.ok(Math.abs((rows[0] + rows[1] + rows[2]) / 3 - got) < 1e-5);
    assert.ok(Math.abs(rows[0] - text) < 1e-5);
    const codeRows = m.lossFrom(h, targets, Float32Array.of(0, 1, 1, 0)).item();
    assert.ok(Math.abs((rows[1] + rows[2]) / 2 - codeRows) < 1e-5);
  });
});

test('a model without its image tokenizer says so', () => {
  const m = new MultimodalModel(cfg);
  assert.throws(() => m.forward(Int32Array.of(1), Int32Array.of(-1), 1, 1), /call setImageTokenizer/);
  assert.throws(
    () => new MultimodalModel(modelConfig({ imageCodebookSize: 8, imageGrid: 2 }, 'tiny'), tiles),
    /4 codes, the config 8/,
  );
});
