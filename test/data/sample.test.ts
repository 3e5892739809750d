// The sampler: deterministic per seed; held-out combinations never in the train split.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HELDOUT_IDENTITIES,
  HELDOUT_PAIRS,
  HELDOUT_WORDS,
  identityKey,
  makeWorldItems,
  sampleScene,
  sceneSplit,
  WORLD_TASKS,
} from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';

test('the same seed gives the same scenes, another seed different ones', () => {
  const a = Array.from(
    { length: 50 },
    (
      (r) => () =>
        sampleScene(r)
    )(Rng.world(42)),
  );
  const b = Array.from(
    { length: 50 },
    (
      (r) => () =>
        sampleScene(r)
    )(Rng.world(42)),
  );
  const c = Array.from(
    { length: 50 },
    (
      (r) => () =>
        sampleScene(r)
    )(Rng.world(43)),
  );
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('train scenes never contain a held-out pair, word or identity; held-out scenes always contain one', () => {
  const rng = Rng.world(7);
  for (let i = 0; i < 2000; i++) {
    const s = sampleScene(rng, 'train');
    for (const o of s.objects) assert.ok(!HELDOUT_PAIRS.some(([c, sh]) => c === o.color && sh === o.shape));
    if (s.sign) assert.ok(!HELDOUT_WORDS.includes(s.sign));
    if (s.character) assert.ok(!HELDOUT_IDENTITIES.includes(identityKey(s.character)));
    assert.equal(sceneSplit(sampleScene(rng, 'heldout')), 'heldout');
  }
});

test('train task items show only train scenes (all images, every turn of every task)', () => {
  for (const task of WORLD_TASKS)
    for (const it of makeWorldItems(task, 'train', 5, 30))
      for (const seg of it.segments)
        if (seg.image?.scene) assert.equal(sceneSplit(seg.image.scene), 'train', `${it.id}`);
});

test('task items are deterministic per seed', () => {
  for (const task of WORLD_TASKS)
    assert.deepEqual(makeWorldItems(task, 'train', 9, 3), makeWorldItems(task, 'train', 9, 3));
});
