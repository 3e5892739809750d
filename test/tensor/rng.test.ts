// One Rng, two versioned streams: their first values are golden (the world stream is the data layer's
// generator from before the two were one class, value for value, so the shipped models' data streams stay
// reproducible), fork stays in its stream, shuffled is shuffle on a copy, and state round-trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/tensor/index.js';

test('the engine and world streams give their golden values', () => {
  const e = new Rng(7);
  assert.deepEqual([e.next(), e.next(), e.int(10)], [0.13706416846252978, 0.45108226174488664, 9]);
  const w = Rng.world(7);
  assert.equal(w.stream, 'world');
  assert.deepEqual([w.next(), w.next(), w.between(3, 9)], [0.7227507401257753, 0.9872626690194011, 7]);
  const f = w.fork(2);
  assert.equal(f.stream, 'world');
  assert.equal(f.next(), 0.06756875920109451);
  assert.equal(new Rng(1).fork(1).stream, 'engine');
});

test('shuffled is shuffle on a copy; state round-trips', () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8];
  const a = Rng.world(3).shuffled(xs);
  assert.deepEqual(xs, [1, 2, 3, 4, 5, 6, 7, 8], 'the input is left as it was');
  assert.deepEqual(a, Rng.world(3).shuffle(xs.slice()));
  const r = new Rng(5);
  r.normal();
  const s = r.getState();
  const x = [r.next(), r.normal()];
  r.setState(s);
  assert.deepEqual([r.next(), r.normal()], x);
});
