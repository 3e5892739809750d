// Elementwise arithmetic, reductions and shape ops. Broadcasting is "suffix" broadcasting only: the second
// operand's shape must equal the trailing dimensions of the first ((B, T, C) + (C), or (B, T, C) + (T, C)),
// which is all a transformer and a conv net need, and keeps the backward pass a simple block sum.
import { assertShape, kernels, record, type Shape, sizeOf, Tensor } from '../tensor.js';

function suffixBlocks(op: string, a: Tensor, b: Tensor): number {
  const k = b.shape.length;
  const tail = a.shape.slice(a.shape.length - k);
  if (k > a.shape.length || tail.some((d, i) => d !== b.shape[i]))
    throw new Error(
      `${op}: shape [${b.shape.join(', ')}] does not broadcast onto [${a.shape.join(', ')}] (it must equal the trailing dimensions)`,
    );
  return a.size / b.size;
}

function binary(op: string, a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const blocks = suffixBlocks(op, a, b);
  const out = Tensor.empty(a.shape);
  const n = b.size;
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  for (let r = 0; r < blocks; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) od[o + i] = f(ad[o + i], bd[i]);
  }
  return out;
}

/** Sum of the blocks of g (blocks * n values) into acc (n values). */
function blockSum(g: Float32Array, acc: Float32Array, blocks: number, scale = 1): void {
  const n = acc.length;
  for (let r = 0; r < blocks; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) acc[i] += scale * g[o + i];
  }
}

/** a + sign * b (suffix broadcasting). Same shapes go through the axpy kernel, forward and back (the
 *  residual adds of a transformer); the result is the same float32 sum either way. */
function addSigned(op: string, a: Tensor, b: Tensor, sign: 1 | -1): Tensor {
  const blocks = suffixBlocks(op, a, b);
  let out: Tensor;
  if (blocks === 1) {
    out = Tensor.empty(a.shape);
    out.data.set(a.data);
    kernels().axpy(a.size, sign, b.data, out.data);
  } else out = binary(op, a, b, sign === 1 ? (x, y) => x + y : (x, y) => x - y);
  return record(out, [a, b], (g) => {
    const k = kernels();
    if (a.requiresGrad) k.axpy(a.size, 1, g, a.ensureGrad());
    if (b.requiresGrad) {
      if (blocks === 1) k.axpy(b.size, sign, g, b.ensureGrad());
      else blockSum(g, b.ensureGrad(), blocks, sign);
    }
  });
}

export function add(a: Tensor, b: Tensor): Tensor {
  return addSigned('add', a, b, 1);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return addSigned('sub', a, b, -1);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const blocks = suffixBlocks('mul', a, b);
  const out = binary('mul', a, b, (x, y) => x * y);
  return record(out, [a, b], (g) => {
    const n = b.size;
    if (a.requiresGrad) {
      const ga = a.ensureGrad();
      for (let r = 0; r < blocks; r++) for (let i = 0; i < n; i++) ga[r * n + i] += g[r * n + i] * b.data[i];
    }
    if (b.requiresGrad) {
      const gb = b.ensureGrad();
      for (let r = 0; r < blocks; r++) for (let i = 0; i < n; i++) gb[i] += g[r * n + i] * a.data[r * n + i];
    }
  });
}

export function scale(a: Tensor, s: number): Tensor {
  const out = Tensor.empty(a.shape);
  for (let i = 0; i < a.size; i++) out.data[i] = a.data[i] * s;
  return record(out, [a], (g) => kernels().axpy(a.size, s, g, a.ensureGrad()));
}

/** Same values, new shape (a copy, so that every tensor owns its buffer). */
export function reshape(a: Tensor, shape: Shape): Tensor {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const wanted = shape.map((d) => (d === -1 ? a.size / known : d));
  if (!wanted.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(wanted) !== a.size)
    throw new Error(`reshape: cannot view [${a.shape.join(', ')}] (${a.size} values) as [${shape.join(', ')}]`);
  const out = Tensor.empty(wanted);
  out.data.set(a.data);
  return record(out, [a], (g) => kernels().axpy(a.size, 1, g, a.ensureGrad()));
}

/** A copy that does not carry gradient (the stop-gradient of straight-through estimators). */
export function detach(a: Tensor): Tensor {
  const out = Tensor.empty(a.shape);
  out.data.set(a.data);
  return out;
}

export function sum(a: Tensor): Tensor {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i];
  const out = Tensor.from([s], [1]);
  return record(out, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < a.size; i++) ga[i] += g[0];
  });
}

export function mean(a: Tensor): Tensor {
  return scale(sum(a), 1 / a.size);
}

/** Mean squared error between two tensors of the same shape. */
export function mse(a: Tensor, b: Tensor): Tensor {
  assertShape('mse', 'b', b.shape, a.shape);
  let s = 0;
  for (let i = 0; i < a.size; i++) {
    const d = a.data[i] - b.data[i];
    s += d * d;
  }
  const out = Tensor.from([s / a.size], [1]);
  return record(out, [a, b], (g) => {
    const k = (2 * g[0]) / a.size;
    if (a.requiresGrad) {
      const ga = a.ensureGrad();
      for (let i = 0; i < a.size; i++) ga[i] += k * (a.data[i] - b.data[i]);
    }
    if (b.requiresGrad) {
      const gb = b.ensureGrad();
      for (let i = 0; i < a.size; i++) gb[i] -= k * (a.data[i] - b.data[i]);
    }
  });
}

function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Reorder dimensions: out.shape[i] = a.shape[perm[i]]. */
export function permute(a: Tensor, perm: readonly number[]): Tensor {
  const r = a.shape.length;
  if (perm.length !== r || [...perm].sort().some((p, i) => p !== i))
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of ${r} dimensions`);
  const outShape = perm.map((p) => a.shape[p]);
  const inStr = strides(a.shape);
  const srcStride = perm.map((p) => inStr[p]); // stride in a for each out dim
  const out = Tensor.empty(outShape);
  const map = new Int32Array(a.size); // out index -> a index
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < a.size; o++) {
    let src = 0;
    for (let d = 0; d < r; d++) src += idx[d] * srcStride[d];
    map[o] = src;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  for (let o = 0; o < a.size; o++) out.data[o] = a.data[map[o]];
  return record(out, [a], (g) => {
    const ga = a.ensureGrad();
    for (let o = 0; o < a.size; o++) ga[map[o]] += g[o];
  });
}

/** Outer/inner sizes around an axis: shape = [...outer, n, ...inner]. */
function around(shape: Shape, axis: number): { outer: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, inner };
}

/** Concatenate along an axis; all other dimensions must match. */
export function concat(ts: readonly Tensor[], axis: number): Tensor {
  if (ts.length === 0) throw new Error('concat: no tensors given');
  const ref = ts[0].shape;
  const ax = axis < 0 ? ref.length + axis : axis;
  for (const t of ts)
    if (t.shape.length !== ref.length || t.shape.some((d, i) => i !== ax && d !== ref[i]))
      throw new Error(`concat: shapes [${ref.join(', ')}] and [${t.shape.join(', ')}] differ outside axis ${ax}`);
  const outShape = [...ref];
  outShape[ax] = ts.reduce((s, t) => s + t.shape[ax], 0);
  const out = Tensor.empty(outShape);
  const { outer, inner } = around(outShape, ax);
  const rowOut = outShape[ax] * inner;
  let off = 0;
  for (const t of ts) {
    const w = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * w, o * w + w), o * rowOut + off);
    off += w;
  }
  return record(out, ts, (g) => {
    let off2 = 0;
    for (const t of ts) {
      const w = t.shape[ax] * inner;
      if (t.requiresGrad) {
        const gt = t.ensureGrad();
        for (let o = 0; o < outer; o++) for (let i = 0; i < w; i++) gt[o * w + i] += g[o * rowOut + off2 + i];
      }
      off2 += w;
    }
  });
}

/** Slice [start, end) along an axis. */
export function slice(a: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axis < 0 ? a.shape.length + axis : axis;
  const n = a.shape[ax];
  if (!(0 <= start && start <= end && end <= n))
    throw new Error(`slice: [${start}, ${end}) is outside 0..${n} on axis ${ax}`);
  const outShape = [...a.shape];
  outShape[ax] = end - start;
  const out = Tensor.empty(outShape);
  const { outer, inner } = around(a.shape, ax);
  const w = (end - start) * inner;
  for (let o = 0; o < outer; o++)
    out.data.set(a.data.subarray(o * n * inner + start * inner, o * n * inner + start * inner + w), o * w);
  return record(out, [a], (g) => {
    const ga = a.ensureGrad();
    for (let o = 0; o < outer; o++) for (let i = 0; i < w; i++) ga[o * n * inner + start * inner + i] += g[o * w + i];
  });
}

/**
 * Row-wise sum of outer products: a (..., R * P), b (..., R * Q) -> (..., P * Q), out[p * Q + q] =
 * sum_r a[r * P + p] * b[r * Q + q]. The image head's "where times what colour" term (model/multimodal.ts):
 * each row's P-pixel masks times its Q-channel colours, rank R.
 */
export function rowOuter(a: Tensor, b: Tensor, R: number): Tensor {
  const ra = a.shape[a.shape.length - 1];
  const rb = b.shape[b.shape.length - 1];
  if (!(Number.isInteger(R) && R >= 1 && ra % R === 0 && rb % R === 0))
    throw new Error(`rowOuter: last dimensions ${ra} and ${rb} are not both multiples of the rank ${R}`);
  const N = a.size / ra;
  if (b.size / rb !== N || a.shape.length !== b.shape.length || a.shape.slice(0, -1).some((d, i) => d !== b.shape[i]))
    throw new Error(`rowOuter: leading shapes differ, [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  const P = ra / R;
  const Q = rb / R;
  const out = Tensor.zeros([...a.shape.slice(0, -1), P * Q]);
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  for (let n = 0; n < N; n++)
    for (let r = 0; r < R; r++) {
      const ao = n * ra + r * P;
      const bo = n * rb + r * Q;
      for (let p = 0; p < P; p++) {
        const x = ad[ao + p];
        const o = n * P * Q + p * Q;
        for (let q = 0; q < Q; q++) od[o + q] += x * bd[bo + q];
      }
    }
  return record(out, [a, b], (g) => {
    const ga = a.requiresGrad ? a.ensureGrad() : null;
    const gb = b.requiresGrad ? b.ensureGrad() : null;
    for (let n = 0; n < N; n++)
      for (let r = 0; r < R; r++) {
        const ao = n * ra + r * P;
        const bo = n * rb + r * Q;
        for (let p = 0; p < P; p++) {
          const o = n * P * Q + p * Q;
          let s = 0;
          for (let q = 0; q < Q; q++) {
            s += g[o + q] * bd[bo + q];
            if (gb) gb[bo + q] += g[o + q] * ad[ao + p];
          }
          if (ga) ga[ao + p] += s;
        }
      }
  });
}
