// Normalisations, activations and embedding: thin autograd wrappers over forward/backward kernel pairs.
import { kernels, record, Tensor } from '../tensor.js';

function checkVec(op: string, name: string, v: Tensor, C: number): void {
  if (v.shape.length !== 1 || v.shape[0] !== C)
    throw new Error(`${op}: ${name} has shape [${v.shape.join(', ')}], expected [${C}]`);
}

/** LayerNorm over the last dimension. x (..., C), w (C), b (C). */
export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): Tensor {
  const C = x.dim(-1);
  checkVec('layerNorm', 'weight', w, C);
  checkVec('layerNorm', 'bias', b, C);
  const N = x.size / C;
  const out = Tensor.empty(x.shape);
  const mean = Tensor.empty([N]);
  const rstd = Tensor.empty([N]);
  kernels().layerNormForward(x.data, w.data, b.data, out.data, mean.data, rstd.data, N, C, eps);
  return record(out, [x, w, b], (g) => {
    kernels().layerNormBackward(
      g,
      x.data,
      w.data,
      mean.data,
      rstd.data,
      x.ensureGrad(),
      w.ensureGrad(),
      b.ensureGrad(),
      N,
      C,
    );
  });
}

/** RMSNorm over the last dimension. x (..., C), w (C). */
export function rmsNorm(x: Tensor, w: Tensor, eps = 1e-5): Tensor {
  const C = x.dim(-1);
  checkVec('rmsNorm', 'weight', w, C);
  const N = x.size / C;
  const out = Tensor.empty(x.shape);
  const rstd = Tensor.empty([N]);
  kernels().rmsNormForward(x.data, w.data, out.data, rstd.data, N, C, eps);
  return record(out, [x, w], (g) => {
    kernels().rmsNormBackward(g, x.data, w.data, rstd.data, x.ensureGrad(), w.ensureGrad(), N, C);
  });
}

export function gelu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  kernels().geluForward(x.data, out.data, x.size);
  return record(out, [x], (g) => kernels().geluBackward(x.data, g, x.ensureGrad(), x.size));
}

export function silu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  kernels().siluForward(x.data, out.data, x.size);
  return record(out, [x], (g) => kernels().siluBackward(x.data, g, x.ensureGrad(), x.size));
}

export function relu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = Math.max(x.data[i], 0);
  return record(out, [x], (g) => {
    const gx = x.ensureGrad();
    for (let i = 0; i < x.size; i++) if (x.data[i] > 0) gx[i] += g[i];
  });
}

/** Rows of table (V, C) picked by ids: out (...ids shape, C). Ids are checked against V. */
export function embedding(table: Tensor, ids: Int32Array, idsShape: readonly number[] = [ids.length]): Tensor {
  const [V, C] = table.shape;
  for (let i = 0; i < ids.length; i++)
    if (!(ids[i] >= 0 && ids[i] < V))
      throw new Error(`embedding: id ${ids[i]} at position ${i} is outside the table's ${V} rows`);
  const out = Tensor.empty([...idsShape, C]);
  if (out.size !== ids.length * C)
    throw new Error(`embedding: ${ids.length} ids do not fit shape [${idsShape.join(', ')}]`);
  kernels().embeddingForward(table.data, ids, out.data, ids.length, C);
  return record(out, [table], (g) => kernels().embeddingBackward(g, ids, table.ensureGrad(), ids.length, C));
}
