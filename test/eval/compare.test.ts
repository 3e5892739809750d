// tessera compare's pairing: judgements of the same item are paired when a and b judged it as many times,
// rates get the paired interval and means the paired normal one, understanding pools its three parts; and
// on real models (the shipped one against itself and against an untrained tiny one) the paired means are
// exactly what evaluateHeldout reports for each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareJudgements,
  compareModels,
  evaluateHeldout,
  type Judgements,
  type MetricKey,
  pairedDifference,
  pairJudgements,
} from '../../src/eval/index.js';
import { defaultModelDir, loadModel, MultimodalModel, modelConfig } from '../../src/model/index.js';

const judgements = (rows: Record<string, Record<string, number[]>>): Judgements =>
  new Map(Object.entries(rows).map(([k, byItem]) => [k as MetricKey, new Map(Object.entries(byItem))] as const));

test('pairJudgements: items judged as many times are paired, the rest counted as unpaired', () => {
  const a = judgements({ t2i_object_acc: { x: [1, 0], y: [1], z: [0, 0, 1] } });
  const b = judgements({ t2i_object_acc: { x: [0, 0], y: [1, 1], w: [1] } });
  const p = pairJudgements(a, b, 't2i_object_acc');
  assert.deepEqual(p.a, [1, 0]);
  assert.deepEqual(p.b, [0, 0]);
  assert.equal(p.unpairedA, 1 + 3); // y (1 against 2) and z (b has none)
  assert.equal(p.unpairedB, 2 + 1); // y, and w (a has none)
});

test('compareJudgements: the paired difference of rates, of means, and understanding pooled', () => {
  const a = judgements({
    caption_acc: { c1: [1], c2: [0] },
    vqa_acc: { q1: [1], q2: [1] },
    ocr_acc: { o1: [1] },
    edit_preservation: { e1: [0.9], e2: [1], e3: [0.5] },
  });
  const b = judgements({
    caption_acc: { c1: [0], c2: [0] },
    vqa_acc: { q1: [1], q2: [0] },
    ocr_acc: { o1: [1] },
    edit_preservation: { e1: [0.8], e2: [1], e3: [0.7] },
  });
  const rows = new Map(compareJudgements(a, b).map((r) => [r.key, r]));
  assert.deepEqual([...rows.keys()].sort(), [
    'caption_acc',
    'edit_preservation',
    'ocr_acc',
    'understanding_acc',
    'vqa_acc',
  ]);
  const u = rows.get('understanding_acc')!;
  const want = pairedDifference([1, 0, 1, 1, 1], [0, 0, 1, 0, 1])!;
  assert.deepEqual([u.n, u.a, u.b, u.onlyA, u.onlyB], [5, 0.8, 0.4, 2, 0]);
  assert.equal(u.diff, want.diff);
  assert.equal(u.lo, want.lo);
  const e = rows.get('edit_preservation')!;
  assert.ok(Math.abs(e.diff - (0.1 + 0 - 0.2) / 3) < 1e-12);
  assert.equal(e.onlyA, null);
  assert.ok(e.lo < e.diff && e.diff < e.hi, 'a mean difference with spread has an interval around it');
});

const shipped = loadModel(defaultModelDir());
const o = { tasks: ['t2i', 'vqa', 'edit'] as const, n: 3, factorN: 2 };

test('compareModels: the shipped model against itself differs by nothing, on every judgement', () => {
  const r = evaluateHeldout(shipped.model, shipped.tok, o);
  const rows = compareModels(shipped, shipped, o);
  assert.ok(rows.length >= 8, `${rows.length} metrics compared`);
  for (const row of rows) {
    assert.equal(row.n, r.counts[row.key], row.key);
    assert.equal(row.unpairedA + row.unpairedB, 0, row.key);
    assert.ok(Math.abs(row.a - (r.metrics[row.key] ?? 0)) < 1e-12, row.key);
    assert.equal(row.diff, 0, row.key);
    if (row.onlyA !== null) assert.deepEqual([row.onlyA, row.onlyB], [0, 0], row.key);
  }
});

test('compareModels: against an untrained model, each side is what its own evaluation reports', () => {
  const tiny = {
    model: new MultimodalModel(
      modelConfig(
        {
          textVocabSize: shipped.tok.text.vocabSize,
          imageCodebookSize: shipped.tok.image.codebookSize,
          blockSize: shipped.model.config.blockSize,
        },
        'tiny',
      ),
      shipped.tok.image,
    ),
    tok: shipped.tok,
  };
  const ra = evaluateHeldout(shipped.model, shipped.tok, o);
  const rb = evaluateHeldout(tiny.model, tiny.tok, o);
  const rows = compareModels(shipped, tiny, o);
  let differs = 0;
  for (const row of rows) {
    if (row.unpairedA + row.unpairedB > 0) continue; // e.g. caption attributes of answers of different length
    assert.ok(Math.abs(row.a - (ra.metrics[row.key] ?? 0)) < 1e-12, row.key);
    assert.ok(Math.abs(row.b - (rb.metrics[row.key] ?? 0)) < 1e-12, row.key);
    if (row.onlyA !== null) assert.equal(row.onlyA - row.onlyB!, Math.round(row.n * row.diff), row.key);
    if (row.diff !== 0) differs++;
  }
  assert.ok(differs > 0, 'the trained model is ahead somewhere');
});
