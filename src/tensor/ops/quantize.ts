// Vector-quantisation helpers for a VQ-VAE: nearest codebook entry, and the straight-through estimator.
import { kernels, record, Tensor } from '../tensor.js';

/** For each row of z (N, D), the index of the nearest row of codebook (K, D) in squared L2 distance. */
export function nearestCode(z: Tensor, codebook: Tensor): Int32Array {
  const D = z.dim(-1);
  const [K, cD] = codebook.shape;
  if (cD !== D) throw new Error(`nearestCode: vectors have ${D} dims, codebook rows have ${cD}`);
  const N = z.size / D;
  const dots = new Float32Array(N * K);
  kernels().gemm(false, true, N, K, D, 1, z.data, 0, D, 0, codebook.data, 0, D, 0, 0, dots, 0, K, 0, 1);
  // squared norms in float32 arithmetic, as sumSquares would give them (a loop here: one kernel call per
  // row cost more than the arithmetic)
  const norms = new Float32Array(K);
  const cb = codebook.data;
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let d = k * D, e = d + D; d < e; d++) s += cb[d] * cb[d];
    norms[k] = s;
  }
  const idx = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0;
    let bestD = Infinity;
    const row = i * K;
    for (let k = 0; k < K; k++) {
      const d = norms[k] - 2 * dots[row + k];
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    idx[i] = best;
  }
  return idx;
}

/** Straight-through: the forward value is q, the gradient flows to z unchanged (z + stopgrad(q - z)). */
export function straightThrough(z: Tensor, q: Tensor): Tensor {
  if (z.size !== q.size)
    throw new Error(`straightThrough: z [${z.shape.join(', ')}] and q [${q.shape.join(', ')}] differ in size`);
  const out = Tensor.empty(z.shape);
  out.data.set(q.data);
  return record(out, [z], (g) => kernels().axpy(z.size, 1, g, z.ensureGrad()));
}
