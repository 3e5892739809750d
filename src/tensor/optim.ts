// AdamW with decoupled weight decay, and global-norm gradient clipping.
import { kernels } from './kernels/index.js';
import type { Params } from './params.js';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Applied to matrices only (ndim >= 2); norms, biases and vectors are not decayed. */
  weightDecay: number;
}

export const defaultAdamW: Readonly<AdamWConfig> = Object.freeze({
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
});

export class AdamW {
  readonly config: AdamWConfig;
  step = 0;
  readonly m = new Map<string, Float32Array>();
  readonly v = new Map<string, Float32Array>();

  constructor(
    readonly params: Params,
    config: Partial<AdamWConfig> = {},
  ) {
    this.config = { ...defaultAdamW, ...config };
    for (const [name, t] of params.map) {
      this.m.set(name, new Float32Array(t.size));
      this.v.set(name, new Float32Array(t.size));
    }
  }

  /** One update with the gradients currently in the parameters. lr overrides the configured rate. */
  update(lr = this.config.lr): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const K = kernels();
    for (const [name, t] of this.params.map) {
      if (t.grad === null) continue;
      const wd = t.shape.length >= 2 ? weightDecay : 0;
      K.adamw(t.data, t.grad, this.m.get(name)!, this.v.get(name)!, t.size, lr, beta1, beta2, eps, wd, this.step);
    }
  }
}

/** Scale all gradients so their global L2 norm is at most maxNorm. Returns the norm before clipping. */
export function clipGradNorm(params: Params, maxNorm: number): number {
  const K = kernels();
  let ss = 0;
  for (const t of params.map.values()) if (t.grad) ss += K.sumSquares(t.grad, t.size);
  const norm = Math.sqrt(ss);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / norm;
    for (const t of params.map.values()) {
      const g = t.grad;
      if (g) for (let i = 0; i < g.length; i++) g[i] *= s;
    }
  }
  return norm;
}

/** Cosine decay with linear warm-up. */
export function cosineLr(step: number, total: number, peak: number, warmup: number, floor = 0.1): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
