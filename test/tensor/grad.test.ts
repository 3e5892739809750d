// Every op's gradient against central finite differences, on each available backend.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  add,
  causalAttention,
  concat,
  conv2d,
  convTranspose2d,
  crossEntropy,
  embedding,
  gelu,
  layerNorm,
  linear,
  matmul,
  mean,
  mse,
  mul,
  permute,
  Rng,
  relu,
  reshape,
  rmsNorm,
  rowOuter,
  scale,
  silu,
  slice,
  straightThrough,
  sub,
  sum,
  Tensor,
  tidy,
  useKernels,
} from '../../src/tensor/index.js';
import { backends } from '../helpers/backends.js';

function randT(rng: Rng, shape: number[], std = 1): Tensor {
  const t = new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), std), shape, {
    requiresGrad: true,
  });
  return t;
}

/** Compare d(sum(f(xs) * r))/dx from backward with central differences (in float64 sums of float32 runs). */
function gradCheck(
  name: string,
  xs: Tensor[],
  f: (xs: Tensor[]) => Tensor,
  opts: { eps?: number; tol?: number; maxChecks?: number } = {},
) {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 2e-2;
  const rng = new Rng(99);
  const probe = tidy(() => f(xs));
  const r = rng.fillNormal(new Float32Array(probe.size));
  const objective = () =>
    tidy(() => {
      const out = f(xs);
      let s = 0;
      for (let i = 0; i < out.size; i++) s += out.data[i] * r[i];
      return s;
    });
  tidy(() => {
    for (const x of xs) x.grad = null;
    const out = f(xs);
    out.backward(r);
  });
  for (const [xi, x] of xs.entries()) {
    if (!x.requiresGrad) continue;
    const analytic = x.grad ?? new Float32Array(x.size);
    const n = Math.min(x.size, opts.maxChecks ?? 40);
    for (let c = 0; c < n; c++) {
      const i = Math.floor((c * x.size) / n);
      const old = x.data[i];
      x.data[i] = old + eps;
      const up = objective();
      x.data[i] = old - eps;
      const down = objective();
      x.data[i] = old;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric), Math.abs(analytic[i]));
      assert.ok(
        err < tol,
        `${name}: input ${xi} element ${i}: analytic ${analytic[i]} vs numeric ${numeric} (rel err ${err.toFixed(4)})`,
      );
    }
  }
}

for (const { name: backend, kernels } of backends()) {
  describe(`gradients (${backend} kernels)`, () => {
    useKernels(kernels);
    const rng = new Rng(7);

    test('add, sub, mul with suffix broadcasting; scale, sum, mean', () => {
      useKernels(kernels);
      gradCheck('add', [randT(rng, [2, 3, 4]), randT(rng, [4])], ([a, b]) => add(a, b));
      gradCheck('sub', [randT(rng, [2, 3, 4]), randT(rng, [3, 4])], ([a, b]) => sub(a, b));
      gradCheck('mul', [randT(rng, [2, 3, 4]), randT(rng, [3, 4])], ([a, b]) => mul(a, b));
      gradCheck('scale', [randT(rng, [5])], ([a]) => scale(a, -1.5));
      gradCheck('sum', [randT(rng, [3, 2])], ([a]) => sum(a));
      gradCheck('mean', [randT(rng, [3, 2])], ([a]) => mean(a));
      gradCheck('mse', [randT(rng, [6]), randT(rng, [6])], ([a, b]) => mse(a, b));
    });

    test('reshape, permute, concat, slice', () => {
      useKernels(kernels);
      gradCheck('reshape', [randT(rng, [2, 6])], ([a]) => mul(reshape(a, [3, 4]), reshape(a, [3, 4])));
      gradCheck('permute', [randT(rng, [2, 3, 4])], ([a]) => permute(a, [2, 0, 1]));
      gradCheck('concat', [randT(rng, [2, 3]), randT(rng, [2, 2])], ([a, b]) => concat([a, b], 1));
      gradCheck('slice', [randT(rng, [3, 5])], ([a]) => slice(a, 1, 1, 4));
      gradCheck('rowOuter rank 2', [randT(rng, [2, 3, 8]), randT(rng, [2, 3, 6])], ([a, b]) => rowOuter(a, b, 2));
    });

    test('linear and matmul', () => {
      useKernels(kernels);
      gradCheck('linear', [randT(rng, [2, 3, 5]), randT(rng, [4, 5]), randT(rng, [4])], ([x, w, b]) => linear(x, w, b));
      gradCheck('linear no bias', [randT(rng, [3, 5]), randT(rng, [2, 5])], ([x, w]) => linear(x, w, null));
      gradCheck('matmul batched', [randT(rng, [2, 3, 4]), randT(rng, [2, 4, 5])], ([a, b]) => matmul(a, b));
      gradCheck('matmul shared', [randT(rng, [2, 3, 4]), randT(rng, [4, 5])], ([a, b]) => matmul(a, b));
    });

    test('layerNorm, rmsNorm', () => {
      useKernels(kernels);
      gradCheck('layerNorm', [randT(rng, [3, 8]), randT(rng, [8]), randT(rng, [8])], ([x, w, b]) => layerNorm(x, w, b));
      gradCheck('rmsNorm', [randT(rng, [3, 8]), randT(rng, [8])], ([x, w]) => rmsNorm(x, w));
    });

    test('gelu, silu, relu', () => {
      useKernels(kernels);
      gradCheck('gelu', [randT(rng, [20], 2)], ([x]) => gelu(x));
      gradCheck('silu', [randT(rng, [20], 2)], ([x]) => silu(x));
      gradCheck('relu', [randT(rng, [20], 2)], ([x]) => relu(x));
    });

    test('embedding (repeated ids accumulate)', () => {
      useKernels(kernels);
      const ids = Int32Array.from([1, 3, 1, 0]);
      gradCheck('embedding', [randT(rng, [4, 3])], ([t]) => embedding(t, ids, [2, 2]));
    });

    test('cross-entropy with ignore index and weights', () => {
      useKernels(kernels);
      const targets = Int32Array.from([2, -1, 0, 4]);
      const weights = Float32Array.from([1, 1, 0.5, 2]);
      gradCheck('crossEntropy', [randT(rng, [4, 5])], ([l]) => crossEntropy(l, targets, { ignoreIndex: -1, weights }));
      gradCheck('crossEntropy plain', [randT(rng, [2, 2, 5])], ([l]) => crossEntropy(l, Int32Array.from([1, 2, 3, 4])));
    });

    test('causal attention, with and without a padding mask', () => {
      useKernels(kernels);
      gradCheck('attention', [randT(rng, [2, 5, 12])], ([qkv]) => causalAttention(qkv, 2), { maxChecks: 60 });
      const mask = Float32Array.from([1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
      gradCheck('attention masked', [randT(rng, [2, 5, 12])], ([qkv]) => causalAttention(qkv, 2, mask), {
        maxChecks: 60,
      });
    });

    test('conv2d and transposed conv2d (stride, padding)', () => {
      useKernels(kernels);
      gradCheck('conv2d', [randT(rng, [2, 3, 5, 5]), randT(rng, [4, 3, 3, 3]), randT(rng, [4])], ([x, w, b]) =>
        conv2d(x, w, b, { stride: 2, padding: 1 }),
      );
      gradCheck('conv2d s1', [randT(rng, [1, 2, 4, 4]), randT(rng, [3, 2, 3, 3]), randT(rng, [3])], ([x, w, b]) =>
        conv2d(x, w, b, { padding: 1 }),
      );
      gradCheck('convT', [randT(rng, [2, 3, 3, 3]), randT(rng, [3, 2, 4, 4]), randT(rng, [2])], ([x, w, b]) =>
        convTranspose2d(x, w, b, { stride: 2, padding: 1 }),
      );
    });

    test('straight-through passes the gradient to z', () => {
      useKernels(kernels);
      const q = new Tensor(Float32Array.from([1, 2, 3]), [3]);
      gradCheck('straightThrough', [randT(rng, [3])], ([z]) => mul(straightThrough(z, q), z), { tol: 1 });
      const z = randT(rng, [3]);
      tidy(() => straightThrough(z, q).backward(Float32Array.from([1, 2, 3])));
      assert.deepEqual(Array.from(z.grad!), [1, 2, 3]);
    });
  });
}
