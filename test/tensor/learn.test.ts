// The learning gate: a tiny GPT learns to reverse sequences to near-zero loss in seconds, on each backend,
// and a training step allocates nothing new once warm (the pool is stable, the tape is empty).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GPT, GPT_PRESETS, gptConfig } from '../../src/model/index.js';
import {
  AdamW,
  clearPool,
  clipGradNorm,
  poolStats,
  Rng,
  Tensor,
  tapeLength,
  tidy,
  useKernels,
} from '../../src/tensor/index.js';
import { backends } from '../helpers/backends.js';

/** Sequences "a b c d SEP d c b a": loss only on the reversed half. */
function reverseBatch(rng: Rng, B: number, n: number, V: number) {
  const T = 2 * n + 1;
  const SEP = V - 1;
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    const xs = Array.from({ length: n }, () => rng.int(V - 1));
    const seq = [...xs, SEP, ...xs.slice().reverse()];
    for (let t = 0; t < T; t++) ids[b * T + t] = seq[t];
    for (let t = n; t < T - 1; t++) targets[b * T + t] = seq[t + 1];
  }
  return { ids, targets, T };
}

function train(steps: number) {
  const model = new GPT(gptConfig({ vocabSize: 10, blockSize: 16 }, GPT_PRESETS.tiny));
  const opt = new AdamW(model.params, { lr: 3e-3, weightDecay: 0 });
  const rng = new Rng(3);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { ids, targets, T } = reverseBatch(rng, 16, 5, 10);
    const loss = tidy(() => {
      model.params.zeroGrad();
      const l = model.loss(ids, targets, 16, T);
      l.backward();
      clipGradNorm(model.params, 1);
      opt.update();
      return l.item();
    });
    losses.push(loss);
  }
  return { model, losses };
}

for (const { name, kernels } of backends()) {
  describe(`tiny GPT learns to reverse (${name} kernels)`, () => {
    test('loss falls below 0.05 within 400 steps', () => {
      useKernels(kernels);
      const { losses } = train(400);
      const last = losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
      assert.ok(losses[0] > 1.5, `initial loss ${losses[0]} should be near ln(10)`);
      assert.ok(last < 0.05, `final loss ${last.toFixed(4)} should be below 0.05 (first ${losses[0].toFixed(3)})`);
    });

    test('a warm training step allocates no new buffers and leaves no graph', () => {
      useKernels(kernels);
      const model = new GPT(GPT_PRESETS.tiny);
      const opt = new AdamW(model.params);
      const rng = new Rng(1);
      const step = () => {
        const { ids, targets, T } = reverseBatch(rng, 4, 7, 16);
        tidy(() => {
          model.params.zeroGrad();
          model.loss(ids, targets, 4, T).backward();
          opt.update();
        });
      };
      step();
      step();
      const before = poolStats();
      for (let i = 0; i < 5; i++) step();
      const after = poolStats();
      assert.equal(tapeLength(), 0);
      assert.deepEqual(after, before, 'the pool should hold the same buffers after each step');
    });
  });
}

test('batches of changing shape reuse pooled buffers instead of growing the pool per size', () => {
  clearPool();
  // Descending sizes within one octave: each size's own bucket is empty, a buffer up to twice as large is.
  for (let n = 2000; n >= 1000; n -= 37) tidy(() => Array.from({ length: 10 }, () => Tensor.zeros([n])).length);
  assert.equal(poolStats().buffers, 10, 'ten buffers serve every size');
  clearPool();
});
