// KV-cache decoding computes what the full forward pass computes: prefill a prompt, then feed one token at
// a time, and every position's logits match the uncached pass (GPT and the multimodal model).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GPT, GPT_PRESETS } from '../../src/model/index.js';
import { noGrad, Rng, tidy } from '../../src/tensor/index.js';

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('GPT: cached decoding equals the full forward pass at every position', () => {
  const m = new GPT(GPT_PRESETS.tiny);
  const rng = new Rng(4);
  const B = 2;
  const T = 12;
  const V = m.config.vocabSize;
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  noGrad(() =>
    tidy(() => {
      const full = m.forward(ids, B, T).data; // (B, T, V)
      const caches = m.newCache(B);
      const pre = 5;
      const take = (t0: number, n: number) =>
        Int32Array.from({ length: B * n }, (_, i) => ids[Math.floor(i / n) * T + t0 + (i % n)]);
      const check = (logits: Float32Array, t0: number, n: number) => {
        for (let b = 0; b < B; b++)
          for (let j = 0; j < n; j++) {
            const got = logits.subarray((b * n + j) * V, (b * n + j + 1) * V);
            const want = full.subarray((b * T + t0 + j) * V, (b * T + t0 + j + 1) * V);
            assert.ok(maxDiff(got, want) < 1e-4, `batch ${b} position ${t0 + j}: max diff ${maxDiff(got, want)}`);
          }
      };
      check(m.forwardCached(take(0, pre), B, pre, caches).data, 0, pre);
      for (let t = pre; t < T; t++) check(m.forwardCached(take(t, 1), B, 1, caches).data, t, 1);
      assert.equal(caches[0].length, T);
    }),
  );
});
