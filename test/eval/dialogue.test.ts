// The closed-loop dialogue evaluation runs end to end on a tiny untrained model and reports every metric
// as a share in [0, 1]; the 5-turn chains start from held-out scenes with a character.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIALOGUE_KEYS, evaluateDialogue } from '../../src/eval/index.js';
import { MultimodalModel, modelConfig } from '../../src/model/index.js';
import { testTokenizers } from '../helpers/model.js';

test('dialogue evaluation: chains, compound (one shot / plan / true plan), imagine vs direct', () => {
  const tok = testTokenizers();
  const model = new MultimodalModel(
    modelConfig(
      { textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize, blockSize: 384 },
      'tiny',
    ),
    tok.image,
  );
  const seen: string[] = [];
  const m = evaluateDialogue({ model, tok }, { n: 1, chainLength: 5, onItem: (what) => seen.push(what) });
  assert.deepEqual(seen, ['chain', 'compound', 'imagine']);
  for (const k of DIALOGUE_KEYS) {
    const v = m[k];
    assert.ok(v !== null && v >= 0 && v <= 1, `${k} = ${v}`);
  }
  // An untrained model gets no 5-turn chain right.
  assert.equal(m.chain_all_turns_acc, 0);
});
