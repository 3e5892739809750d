// Matrix products: linear layers (the hot path of every model here) and batched matmul.
import { kernels, record, Tensor } from '../tensor.js';

/** y = x W^T + b, PyTorch layout: x (..., in), W (out, in), b (out) or null. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const inF = x.dim(-1);
  const [outF, wIn] = w.shape;
  if (w.shape.length !== 2 || wIn !== inF)
    throw new Error(`linear: input has ${inF} features but weight is [${w.shape.join(', ')}] (expected [out, ${inF}])`);
  if (b !== null && (b.shape.length !== 1 || b.shape[0] !== outF))
    throw new Error(`linear: bias has shape [${b.shape.join(', ')}], expected [${outF}]`);
  const N = x.size / inF;
  const out = Tensor.empty([...x.shape.slice(0, -1), outF]);
  const K = kernels();
  K.gemm(false, true, N, outF, inF, 1, x.data, 0, inF, 0, w.data, 0, inF, 0, 0, out.data, 0, outF, 0, 1);
  if (b !== null) K.addBias(out.data, b.data, N, outF);
  return record(out, b ? [x, w, b] : [x, w], (g) => {
    const k = kernels();
    // dx += g W : (N, out) @ (out, in)
    if (x.requiresGrad)
      k.gemm(false, false, N, inF, outF, 1, g, 0, outF, 0, w.data, 0, inF, 0, 1, x.ensureGrad(), 0, inF, 0, 1);
    // dW += g^T x : (out, N) @ (N, in)
    if (w.requiresGrad)
      k.gemm(true, false, outF, inF, N, 1, g, 0, outF, 0, x.data, 0, inF, 0, 1, w.ensureGrad(), 0, inF, 0, 1);
    if (b?.requiresGrad) k.biasBackward(g, b.ensureGrad(), N, outF);
  });
}

/** Batched matmul: a (..., M, K) @ b (..., K, N) with equal batch dims, or b (K, N) shared by all. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) throw new Error('matmul: both operands need at least 2 dimensions');
  const M = a.dim(-2);
  const Kd = a.dim(-1);
  const [Kb, N] = [b.dim(-2), b.dim(-1)];
  if (Kb !== Kd) throw new Error(`matmul: inner dimensions differ: [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`);
  const batch = a.size / (M * Kd);
  const shared = b.shape.length === 2;
  if (!shared && b.size / (Kb * N) !== batch)
    throw new Error(`matmul: batch dimensions differ: [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`);
  const sb = shared ? 0 : Kd * N;
  const out = Tensor.empty([...a.shape.slice(0, -1), N]);
  kernels().gemm(false, false, M, N, Kd, 1, a.data, 0, Kd, M * Kd, b.data, 0, N, sb, 0, out.data, 0, N, M * N, batch);
  return record(out, [a, b], (g) => {
    const k = kernels();
    // da += g b^T
    if (a.requiresGrad)
      k.gemm(false, true, M, Kd, N, 1, g, 0, N, M * N, b.data, 0, N, sb, 1, a.ensureGrad(), 0, Kd, M * Kd, batch);
    // db += a^T g (summed over the batch when b is shared)
    if (b.requiresGrad) {
      if (shared) k.gemm(true, false, Kd, N, M * batch, 1, a.data, 0, Kd, 0, g, 0, N, 0, 1, b.ensureGrad(), 0, N, 0, 1);
      else
        k.gemm(true, false, Kd, N, M, 1, a.data, 0, Kd, M * Kd, g, 0, N, M * N, 1, b.ensureGrad(), 0, N, Kd * N, batch);
    }
  });
}
