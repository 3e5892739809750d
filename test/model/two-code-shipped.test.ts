// The shipped two-code model (models/tessera-two, scripts/train-two.sh): it loads as two codes a patch
// from its folder, and on held-out text-to-image scenes it draws the objects of held-out colour-shape
// pairs right more often than the shipped one-code model on the same items (greedy, verifier-judged),
// which is what it was trained for.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isHeldoutPair, makeWorldItem, type TaskItem } from '../../src/data/index.js';
import { evaluate } from '../../src/eval/index.js';
import { defaultModelDir, loadModel, TwoCodeTokenizer } from '../../src/model/index.js';
import { packageRoot } from '../../src/tensor/index.js';

const two = loadModel(join(packageRoot(), 'models', 'tessera-two'));
const one = loadModel(defaultModelDir());

test('models/tessera-two is a two-code model: 128 tokens an image, shape then colour', () => {
  assert.ok(two.tok.image instanceof TwoCodeTokenizer);
  assert.equal(two.model.config.codesPerPatch, 2);
  assert.equal(two.model.codesPerImage, 128);
  assert.equal(two.model.config.keepCode, 1);
});

test('held-out colour-shape pairs: drawn right more often by the two-code model than by the one-code one', () => {
  const items: TaskItem[] = [];
  for (let i = 0; items.length < 30; i++) {
    const it = makeWorldItem('t2i', 'heldout', 4242, i);
    const scene = it.segments.find((s) => s.image?.scene)?.image?.scene;
    if (scene?.objects.some((o) => isHeldoutPair(o.color, o.shape))) items.push(it);
  }
  const keys = ['t2i_heldout_pair_object_acc'] as const;
  const [a, b] = [two, one].map((m) => evaluate(m.model, m.tok, items, { keys }));
  const n = a.counts.t2i_heldout_pair_object_acc;
  assert.ok(n >= 30, `${n} held-out-pair objects`);
  const twoRight = a.metrics.t2i_heldout_pair_object_acc!;
  const oneRight = b.metrics.t2i_heldout_pair_object_acc!;
  assert.ok(
    twoRight >= 0.6 && twoRight > oneRight,
    `two codes ${twoRight.toFixed(2)}, one code ${oneRight.toFixed(2)} (${n})`,
  );
});
