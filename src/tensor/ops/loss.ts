// Softmax cross-entropy over the last dimension, with an ignore index and per-token weights.
import { kernels, record, Tensor } from '../tensor.js';

export interface CrossEntropyOptions {
  /** Target id whose rows add nothing to the loss (padding, prompt tokens). Default -1. */
  ignoreIndex?: number;
  /** Per-row weight (N values); the loss is sum(w_i * loss_i) / sum(w_i) over non-ignored rows. */
  weights?: Float32Array | null;
  /** Receives each row's loss (N values, weighted, 0 for ignored rows), e.g. for per-task curves. */
  rowLosses?: Float32Array;
}

/** Mean cross-entropy of logits (..., V) against integer targets (one per row). Returns a scalar. */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): Tensor {
  const V = logits.dim(-1);
  const N = logits.size / V;
  const ignore = opts.ignoreIndex ?? -1;
  const weights = opts.weights ?? null;
  if (targets.length !== N)
    throw new Error(`crossEntropy: ${targets.length} targets for ${N} rows of logits [${logits.shape.join(', ')}]`);
  if (weights && weights.length !== N) throw new Error(`crossEntropy: ${weights.length} weights for ${N} rows`);
  let denom = 0;
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === ignore) continue;
    if (!(t >= 0 && t < V)) throw new Error(`crossEntropy: target ${t} at row ${i} is outside the ${V} classes`);
    denom += weights ? weights[i] : 1;
  }
  const loss = Tensor.empty([N]);
  const lse = Tensor.empty([N]);
  kernels().crossEntropyForward(logits.data, targets, weights, loss.data, lse.data, N, V, ignore);
  if (opts.rowLosses) {
    if (opts.rowLosses.length !== N)
      throw new Error(`crossEntropy: rowLosses has ${opts.rowLosses.length} slots for ${N} rows`);
    opts.rowLosses.set(loss.data.subarray(0, N));
  }
  let total = 0;
  for (let i = 0; i < N; i++) total += loss.data[i];
  const scaleBy = denom > 0 ? 1 / denom : 0;
  const out = Tensor.from([total * scaleBy], [1]);
  return record(out, [logits], (g) => {
    const dloss = loss; // reuse the buffer: every row gets the same upstream gradient
    dloss.data.fill(g[0] * scaleBy);
    kernels().crossEntropyBackward(
      logits.data,
      targets,
      weights,
      lse.data,
      dloss.data,
      logits.ensureGrad(),
      N,
      V,
      ignore,
    );
  });
}
