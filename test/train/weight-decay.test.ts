// Weight decay above 1: the train config accepts any decay whose step factor (1 - lr * weightDecay) stays
// positive, and AdamW's decoupled decay scales matrices, not vectors, by exactly that factor a step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdamW, Params, Rng } from '../../src/tensor/index.js';
import { trainConfig } from '../../src/train/index.js';

test('trainConfig: weightDecay is bounded by lr * weightDecay < 1, not by 1', () => {
  assert.equal(trainConfig({ weightDecay: 3, lr: 1e-4 }, 'tiny').weightDecay, 3);
  assert.equal(trainConfig({ weightDecay: 0 }, 'tiny').weightDecay, 0);
  assert.throws(() => trainConfig({ weightDecay: 3, lr: 0.5 }, 'tiny'), /lr \* weightDecay < 1, got 3 \(lr 0\.5\)/);
  assert.throws(() => trainConfig({ weightDecay: -0.1 }, 'tiny'), /weightDecay must be >= 0/);
});

test('AdamW: with zero gradients a step scales each matrix by (1 - lr * weightDecay) and leaves vectors', () => {
  const params = new Params(new Rng(3));
  const w = params.add('w', [4, 5], { kind: 'normal', std: 1 });
  const b = params.add('b', [5], { kind: 'normal', std: 1 });
  const w0 = Float32Array.from(w.data);
  const b0 = Float32Array.from(b.data);
  const opt = new AdamW(params, { lr: 0.01, weightDecay: 3 });
  for (let step = 0; step < 10; step++) {
    w.grad = new Float32Array(w.size);
    b.grad = new Float32Array(b.size);
    opt.update();
  }
  const f = 0.97 ** 10;
  for (let i = 0; i < w.size; i++) assert.ok(Math.abs(w.data[i] - w0[i] * f) < 1e-5, `w[${i}]`);
  assert.deepEqual(Array.from(b.data), Array.from(b0));
});
