// Causal multi-head self-attention over a fused qkv projection, and its KV-cache inference path.
import { kernels, record, Tensor } from '../tensor.js';

/** qkv (B, T, 3C) -> y (B, T, C). keyMask (B, T): 1 = attend, 0 = padding; null = all keys valid. */
export function causalAttention(qkv: Tensor, heads: number, keyMask: Float32Array | null = null): Tensor {
  if (qkv.shape.length !== 3) throw new Error(`causalAttention: qkv must be (B, T, 3C), got [${qkv.shape.join(', ')}]`);
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  if (!Number.isInteger(C) || C % heads !== 0)
    throw new Error(`causalAttention: last dimension ${C3} must be 3 * heads(${heads}) * headDim`);
  if (keyMask && keyMask.length !== B * T)
    throw new Error(`causalAttention: keyMask has ${keyMask.length} values, expected B*T = ${B * T}`);
  const hd = C / heads;
  const y = Tensor.empty([B, T, C]); // (B, T, C)
  const att = Tensor.empty([B, heads, T, T]); // (B, H, T, T) softmax probabilities
  kernels().attentionForward(qkv.data, keyMask, y.data, att.data, B, T, heads, hd);
  return record(y, [qkv], (g) => kernels().attentionBackward(g, qkv.data, att.data, qkv.ensureGrad(), B, T, heads, hd));
}

/** Inference only: the keys/values of past positions, written in place as new positions arrive. */
export class KVCache {
  readonly k: Float32Array; // (B, Tmax, C)
  readonly v: Float32Array; // (B, Tmax, C)
  length = 0;

  constructor(
    readonly B: number,
    readonly Tmax: number,
    readonly C: number,
  ) {
    this.k = new Float32Array(B * Tmax * C);
    this.v = new Float32Array(B * Tmax * C);
  }

  /** Append Tq new positions from qkv (B, Tq, 3C) and return attention outputs y (B, Tq, C). */
  step(qkv: Tensor, heads: number, keyMask: Float32Array | null = null): Tensor {
    const [B, Tq, C3] = qkv.shape;
    const C = this.C;
    if (B !== this.B || C3 !== 3 * C)
      throw new Error(`KVCache.step: qkv [${qkv.shape.join(', ')}] does not match cache (B=${this.B}, C=${C})`);
    if (this.length + Tq > this.Tmax)
      throw new Error(`KVCache.step: ${this.length} + ${Tq} positions exceed the cache's ${this.Tmax}`);
    const q = new Float32Array(B * Tq * C);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < Tq; t++) {
        const src = (b * Tq + t) * C3;
        const dst = (b * this.Tmax + this.length + t) * C;
        q.set(qkv.data.subarray(src, src + C), (b * Tq + t) * C);
        this.k.set(qkv.data.subarray(src + C, src + 2 * C), dst);
        this.v.set(qkv.data.subarray(src + 2 * C, src + 3 * C), dst);
      }
    this.length += Tq;
    const y = Tensor.empty([B, Tq, C]);
    kernels().attentionCached(q, this.k, this.v, keyMask, y.data, B, Tq, this.length, this.Tmax, heads, C / heads);
    return y;
  }

  /** Forget positions after n (undo to an earlier turn, or reuse for a new prompt). */
  truncate(n: number): void {
    if (n < 0 || n > this.length) throw new Error(`KVCache.truncate: ${n} is outside 0..${this.length}`);
    this.length = n;
  }
}
