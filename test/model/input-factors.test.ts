// Factored input codes (inputFactorRows): a model that gains them computes exactly what it did (the rows
// start at zero), a code's input then moves by its mask's, foreground's and background's rows and nothing
// else, two codes that share a factor share that row's gradient, and the rows are saved and loaded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWorldItem } from '../../src/data/index.js';
import { loadModel, MultimodalModel, modelConfig, saveModel, tokenizerFactors } from '../../src/model/index.js';
import { noGrad, Rng, sum } from '../../src/tensor/index.js';
import { makeBatch } from '../../src/train/batch.js';
import { Trainer, trainConfig } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const Vt = tok.text.vocabSize;
const K = tok.image.codebookSize;
const C = modelConfig({ textVocabSize: Vt, imageCodebookSize: K }, 'tiny').nEmbd;
/** A tiny model whose codes all look read (random residual rows), except `unread`. */
const base = (unread: readonly number[] = []) => {
  const m = new MultimodalModel(modelConfig({ textVocabSize: Vt, imageCodebookSize: K }, 'tiny'), tok.image);
  const wte = m.params.get('wte').data;
  const r = new Rng(3);
  for (let i = Vt * C; i < wte.length; i++) wte[i] = r.normal() * 0.3;
  for (const k of unread) wte.fill(0, (Vt + k) * C, (Vt + k + 1) * C);
  return m;
};
const batch = makeBatch([makeWorldItem('edit', 'train', 1, 0)], tok, 512, 0, new Rng(1));
const f = tokenizerFactors(tok.image);
const { ids, pos2d, T } = batch;
const isCode = (id: number) => id >= Vt && id < Vt + K;
const factored = (k: number) => f.index[k * 3] < f.masks;
const at = [...ids.keys()].filter((i) => isCode(ids[i]) && factored(ids[i] - Vt));

test('withInputFactors: codes training has read are read as before, every logit the same', () => {
  const m = base();
  const g = m.withInputFactors(tok.image);
  assert.equal(g.config.inputFactorRows, f.rows);
  assert.equal(g.withInputFactors(tok.image), g, 'already has them');
  assert.deepEqual(g.params.get('img.inFactor').shape, [f.rows, C]);
  const [a, b] = noGrad(() => [m, g].map((x) => Array.from(x.forward(ids, pos2d, 1, T).data)));
  assert.deepEqual(b, a);
  // the rows are fitted to what the read codes read as: read by their factors alone, the codes give hidden
  // states nearer those they give read as themselves than with rows of zero
  const alone = new Uint8Array(ids.length);
  for (const i of at) alone[i] = 1;
  const dist = (x: MultimodalModel) =>
    noGrad(() => {
      const p = x.hidden(ids, pos2d, 1, T).data;
      const q = x.hidden(ids, pos2d, 1, T, alone).data;
      return p.reduce((s, v, i) => s + (v - q[i]) ** 2, 0);
    });
  const fitted = dist(g);
  g.params.get('img.inFactor').data.fill(0);
  const zero = dist(g);
  assert.ok(fitted < zero, `fitted rows ${fitted.toFixed(1)} against zero rows ${zero.toFixed(1)}`);
});

test('a code no batch has read (residual row zero) is read by its factor rows alone, not its tile', () => {
  const code = ids[at[10]] - Vt;
  const g = base([code]).withInputFactors(tok.image);
  const first = [...ids.keys()].find((i) => ids[i] === Vt + code)!;
  const hidden = () => noGrad(() => Array.from(g.hidden(ids, pos2d, 1, T).data));
  const before = hidden();
  // its tile no longer matters: zero img.in's effect by moving only what that code's pixels touch is
  // awkward, so move its mask row instead: that position changes, and nothing before it does
  const mask = f.index[code * 3];
  const F = g.params.get('img.inFactor').data;
  for (let j = 0; j < C; j++) F[mask * C + j] += 1;
  const after = hidden();
  assert.deepEqual(after.slice(0, first * C), before.slice(0, first * C));
  assert.notDeepEqual(after.slice(first * C, (first + 1) * C), before.slice(first * C, (first + 1) * C));
  // a code that has been read does not read its mask row: with every such code's row moved and no unread
  // code in the batch, nothing changes
  const h = base().withInputFactors(tok.image);
  const was = noGrad(() => Array.from(h.hidden(ids, pos2d, 1, T).data));
  h.params.get('img.inFactor').data.fill(5);
  assert.deepEqual(
    noGrad(() => Array.from(h.hidden(ids, pos2d, 1, T).data)),
    was,
  );
});

test('flagged codes (training) read their factor rows, which learn; the rest of the table gets no gradient', () => {
  const g = base().withInputFactors(tok.image);
  const alone = new Uint8Array(ids.length);
  for (const i of at.slice(0, 30)) alone[i] = 1;
  g.params.zeroGrad();
  sum(g.hidden(ids, pos2d, 1, T, alone)).backward();
  const grad = g.params.get('img.inFactor').grad!;
  const read = new Set<number>();
  for (const i of at.slice(0, 30)) for (let j = 0; j < 3; j++) read.add(f.index[(ids[i] - Vt) * 3 + j]);
  const moved = (r: number) => grad.subarray(r * C, (r + 1) * C).some((x) => x !== 0);
  for (const r of read) assert.ok(moved(r), `row ${r} is read and gets a gradient`);
  for (let r = 0; r < f.rows; r++) if (!read.has(r)) assert.ok(!moved(r), `row ${r} is not read`);
  // and their residual rows get none there
  const wg = g.params.get('wte').grad!;
  const flaggedOnly = [...new Set(at.slice(0, 30).map((i) => ids[i]))].filter(
    (id) => ![...ids.keys()].some((i) => ids[i] === id && !alone[i]),
  );
  assert.ok(flaggedOnly.length > 0);
  for (const id of flaggedOnly) assert.ok(wg.subarray(id * C, (id + 1) * C).every((x) => x === 0));
});

test('a model folder fine-tuned with inputFactors gains them; saved and loaded with them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-infactors-'));
  try {
    saveModel(join(dir, 'plain'), base(), tok);
    const t = Trainer.create(trainConfig({ init: join(dir, 'plain'), inputFactors: 1, evalN: 0 }, 'tiny'));
    assert.equal(t.model.config.inputFactorRows, f.rows);
    t.model.params.get('img.inFactor').data.fill(0.25);
    saveModel(join(dir, 'with'), t.model, t.tok);
    const back = loadModel(join(dir, 'with')).model;
    assert.equal(back.config.inputFactorRows, f.rows);
    assert.deepEqual(back.params.get('img.inFactor').data, t.model.params.get('img.inFactor').data);
    assert.equal(loadModel(join(dir, 'plain')).model.config.inputFactorRows, 0, 'a folder before it loads without');
    assert.throws(() => trainConfig({ inputFactors: 2 }, 'tiny'), /inputFactors must be 0 or 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
