// codeResidualDrop: an image code read without its per-code residual row is read exactly as a code whose
// row is zero (a code no training image holds), that row gets no gradient there, only image codes are ever
// flagged, and the flags are a function of (seed, step) so a resumed run draws the same ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeWorldItem } from '../../src/data/index.js';
import { MultimodalModel, modelConfig } from '../../src/model/index.js';
import { noGrad, Rng, sum } from '../../src/tensor/index.js';
import { makeBatch, residualDropFlags } from '../../src/train/batch.js';
import { trainConfig } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const Vt = tok.text.vocabSize;
const K = tok.image.codebookSize;
const model = () => {
  const m = new MultimodalModel(modelConfig({ textVocabSize: Vt, imageCodebookSize: K }, 'tiny'), tok.image);
  // trained-looking residual rows (they start at zero)
  const wte = m.params.get('wte').data;
  const r = new Rng(3);
  for (let i = Vt * m.config.nEmbd; i < wte.length; i++) wte[i] = r.normal() * 0.5;
  return m;
};
const batch = makeBatch([makeWorldItem('edit', 'train', 1, 0)], tok, 512, 0, new Rng(1));
const isCode = (id: number) => id >= Vt && id < Vt + K;

test('residualDropFlags: only image codes, at about the rate asked, the same for the same (seed, step)', () => {
  const ids = Int32Array.from({ length: 20_000 }, (_, i) => (i % 4 === 0 ? 7 : Vt + (i % K)));
  const f = residualDropFlags(ids, Vt, K, 0.3, 5, 10);
  assert.ok(
    ids.every((id, i) => isCode(id) || f[i] === 0),
    'a text token is never flagged',
  );
  const rate = f.reduce((a, x) => a + x, 0) / 15_000;
  assert.ok(Math.abs(rate - 0.3) < 0.02, `rate ${rate}`);
  assert.deepEqual(residualDropFlags(ids, Vt, K, 0.3, 5, 10), f);
  assert.notDeepEqual(residualDropFlags(ids, Vt, K, 0.3, 5, 11), f, 'another step, other flags');
  assert.notDeepEqual(residualDropFlags(ids, Vt, K, 0.3, 6, 10), f, 'another seed, other flags');
  assert.equal(
    residualDropFlags(ids, Vt, K, 0, 5, 10).some((x) => x === 1),
    false,
  );
});

test('a dropped code is read as one whose residual row is zero, and that row gets no gradient there', () => {
  const m = model();
  const { ids, pos2d, T } = batch;
  const codes = [...ids].map((id, i) => (isCode(id) ? i : -1)).filter((i) => i >= 0);
  assert.ok(codes.length > 50);
  const all = Uint8Array.from(ids, (id) => (isCode(id) ? 1 : 0));
  const zeroed = model();
  const C = m.config.nEmbd;
  zeroed.params.get('wte').data.fill(0, Vt * C);
  const [dropped, asZero, plain] = noGrad(() => [
    Array.from(m.hidden(ids, pos2d, 1, T, all).data),
    Array.from(zeroed.hidden(ids, pos2d, 1, T).data),
    Array.from(m.hidden(ids, pos2d, 1, T).data),
  ]);
  assert.deepEqual(dropped, asZero);
  assert.notDeepEqual(plain, asZero, 'the residual rows matter when they are read');
  // gradient: with every code dropped, no image-code row of wte moves; text rows still do
  m.params.zeroGrad();
  sum(m.hidden(ids, pos2d, 1, T, all)).backward();
  const g = m.params.get('wte').grad!;
  assert.ok(g.subarray(Vt * C).every((x) => x === 0));
  assert.ok(g.subarray(0, Vt * C).some((x) => x !== 0));
  // one position dropped changes that position and what attends to it, not what comes before it
  const one = new Uint8Array(ids.length);
  one[codes[20]] = 1;
  const part = noGrad(() => Array.from(m.hidden(ids, pos2d, 1, T, one).data));
  assert.deepEqual(part.slice(0, codes[20] * C), plain.slice(0, codes[20] * C));
  assert.notDeepEqual(part.slice(codes[20] * C, (codes[20] + 1) * C), plain.slice(codes[20] * C, (codes[20] + 1) * C));
});

test('codeResidualDrop is a probability: outside [0, 1) it is refused', () => {
  assert.equal(trainConfig({ codeResidualDrop: 0.5 }, 'tiny').codeResidualDrop, 0.5);
  assert.equal(trainConfig({}, 'tiny').codeResidualDrop, 0);
  assert.throws(() => trainConfig({ codeResidualDrop: 1 }, 'tiny'), /codeResidualDrop must be in \[0, 1\)/);
  assert.throws(() => trainConfig({ codeResidualDrop: -0.1 }, 'tiny'), /codeResidualDrop/);
});
