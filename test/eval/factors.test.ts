// Held-out metrics split by the held-out factor: factorItems gives n items for each factor, every one of
// them showing it; evaluation on them judges the factor metrics, pools them into the task items' results,
// and the table (header row) and JSON rows carry value, n and the 95% interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluationItems,
  factorItems,
  isHeldoutIdentity,
  isHeldoutPair,
  isHeldoutWord,
  type Scene,
} from '../../src/data/index.js';
import {
  evaluate,
  FACTOR_KEYS,
  formatMetricTable,
  METRIC_KEYS,
  mergeResults,
  metricRows,
} from '../../src/eval/index.js';
import { MultimodalModel, modelConfig } from '../../src/model/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const model = new MultimodalModel(
  modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize, blockSize: 384 }, 'tiny'),
  tok.image,
);

const first = (it: ReturnType<typeof factorItems>[number]): Scene =>
  it.segments.find((s) => s.image?.scene)!.image!.scene!;

test('factorItems: n items of each held-out factor, each showing it, all from the held-out split', () => {
  const items = factorItems(4);
  assert.equal(items.length, 20);
  const groups = [0, 1, 2, 3, 4].map((g) => items.slice(g * 4, g * 4 + 4));
  assert.ok(groups[0].every((it) => it.task === 't2i' && isHeldoutWord(first(it).sign ?? '')));
  assert.ok(groups[1].every((it) => it.task === 'ocr' && isHeldoutWord(first(it).sign ?? '')));
  assert.ok(groups[2].every((it) => it.task === 't2i' && isHeldoutIdentity(first(it).character!)));
  assert.ok(
    groups[3].every((it) => it.task === 'edit' && first(it).objects.some((o) => isHeldoutPair(o.color, o.shape))),
  );
  assert.ok(groups[4].every((it) => it.task === 'edit' && isHeldoutIdentity(first(it).character!)));
  assert.ok(items.every((it) => it.split === 'heldout'));
  // Restricted to task kinds (eval --tasks): only those groups, the same items.
  const words = factorItems(4, 1000, ['t2i', 'ocr']);
  assert.deepEqual(
    words.map((it) => it.id),
    [...groups[0], ...groups[1], ...groups[2]].map((it) => it.id),
  );
  assert.deepEqual(
    factorItems(4).map((it) => it.id),
    items.map((it) => it.id),
    'seeded',
  );
});

test('factor metrics are judged on factor items and pooled; the lenient verdicts come along', () => {
  const opts = { maxTextTokens: 8, lenient: true };
  const base = evaluate(model, tok, evaluationItems(['t2i', 'ocr'], 2), opts);
  const extra = evaluate(model, tok, factorItems(1), { ...opts, keys: FACTOR_KEYS });
  for (const k of METRIC_KEYS) if (!FACTOR_KEYS.includes(k)) assert.equal(extra.counts[k], 0, `${k} not judged`);
  for (const k of ['text_render_heldout_word_acc', 'ocr_heldout_word_acc', 't2i_heldout_identity_acc'] as const)
    assert.ok(extra.counts[k] >= 1, `${k} judged`);
  const m = mergeResults(base, extra, FACTOR_KEYS);
  assert.equal(m.counts.t2i_acc, base.counts.t2i_acc, 'whole-scene metrics from the task items only');
  assert.equal(m.counts.ocr_heldout_word_acc, base.counts.ocr_heldout_word_acc + extra.counts.ocr_heldout_word_acc);
  assert.ok(m.lenient, 'lenient results pooled too');
  for (const k of METRIC_KEYS) {
    const ci = m.intervals[k];
    if (m.counts[k] === 0) assert.equal(ci, null);
    else assert.ok(ci && ci[0] <= (m.metrics[k] as number) + 1e-12 && (m.metrics[k] as number) <= ci[1] + 1e-12, k);
  }
  const table = formatMetricTable(m).split('\n');
  assert.match(table[0], /^metric\s+value\s+95% interval\s+n\s+lenient verifier$/);
  assert.equal(table.length, METRIC_KEYS.length + 1);
  const rows = JSON.parse(JSON.stringify(metricRows(m)));
  assert.deepEqual(Object.keys(rows), [...METRIC_KEYS]);
  assert.deepEqual(Object.keys(rows.t2i_acc).sort(), ['hi', 'interval', 'lenient', 'lo', 'n', 'value']);
  assert.equal(rows.edit_preservation.interval, 'normal');
  assert.equal(rows.t2i_acc.interval, 'wilson');
});
