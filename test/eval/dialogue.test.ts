// The closed-loop dialogue evaluation runs end to end on a tiny untrained model and reports every metric
// as a share in [0, 1] with its count and 95% interval; the 5-turn chains start from held-out scenes with
// a character; parts can be run alone, and step by step is compared with one shot on the same items.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIALOGUE_KEYS, evaluateDialogue } from '../../src/eval/index.js';
import { MultimodalModel, modelConfig } from '../../src/model/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const model = new MultimodalModel(
  modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize, blockSize: 384 }, 'tiny'),
  tok.image,
);

test('dialogue evaluation: chains, compound (one shot / plan / true plan), imagine vs direct', () => {
  const seen: string[] = [];
  const r = evaluateDialogue({ model, tok }, { n: 1, chainLength: 5, onItem: (what) => seen.push(what) });
  assert.deepEqual(seen, ['chain', 'compound', 'imagine']);
  for (const k of DIALOGUE_KEYS) {
    const v = r.metrics[k];
    assert.ok(v !== null && v >= 0 && v <= 1, `${k} = ${v}`);
    const ci = r.intervals[k];
    assert.ok(ci && ci[0] <= v && v <= ci[1], `${k}: ${v} in ${ci}`);
  }
  assert.equal(r.counts.chain_turn_acc, 5);
  assert.equal(r.counts.chain_all_turns_acc, 1);
  // An untrained model gets no 5-turn chain right.
  assert.equal(r.metrics.chain_all_turns_acc, 0);
  const d = r.stepByStepMinusOneShot!;
  assert.equal(d.n, 1);
  assert.equal(d.diff, r.metrics.compound_decomposed_acc! - r.metrics.compound_one_shot_acc!);
});

test('dialogue evaluation: one part alone; the others are not run; an unknown part is refused', () => {
  const seen: string[] = [];
  const r = evaluateDialogue({ model, tok }, { n: 2, parts: ['compound'], onItem: (what) => seen.push(what) });
  assert.deepEqual(seen, ['compound', 'compound']);
  assert.equal(r.counts.compound_one_shot_acc, 2);
  assert.equal(r.counts.chain_turn_acc, 0);
  assert.equal(r.metrics.chain_turn_acc, null);
  assert.equal(r.intervals.imagine_then_answer_acc, null);
  assert.throws(() => evaluateDialogue({ model, tok }, { n: 1, parts: ['chains' as never] }), /unknown dialogue part/);
});
