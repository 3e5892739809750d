// Training the VQ-VAE image tokenizer: freshly sampled train-split scenes with a share of train-split
// emoji, reconstruction MSE plus the commitment loss, AdamW on the conv weights, EMA codebook updates,
// and dead-code restarts from the encoder outputs that their codes represent worst.
import {
  AdamW,
  add,
  clipGradNorm,
  cosineLr,
  detach,
  mse,
  noGrad,
  permute,
  reshape,
  scale,
  Rng as TensorRng,
  tidy,
} from '../../tensor/index.js';
import { type ImageSource, patchTrainingData, sceneEmojiSource } from './data.js';
import type { Vqvae } from './vqvae.js';

export interface TrainImageOptions {
  steps: number;
  batch: number;
  lr: number;
  /** Share of emoji images in each batch (the rest are scenes). */
  emojiFraction: number;
  seed: number;
  /** Called every `logEvery` steps and at the end. */
  onLog?: (s: TrainLog) => void;
  logEvery?: number;
  /** Image source; default: scenes of the train split mixed with train-split emoji. */
  source?: ImageSource;
  /** Images whose encoder outputs initialise the codebook (one code per position, in order, then random
   *  positions for the remaining codes), instead of the random initialisation. */
  initImages?: readonly Uint8Array[];
}

export const DEFAULT_TRAIN_IMAGE: Readonly<Omit<TrainImageOptions, 'onLog' | 'source'>> = Object.freeze({
  steps: 3000,
  batch: 16,
  lr: 2e-3,
  emojiFraction: 0.15,
  seed: 0,
  logEvery: 50,
});

export interface TrainLog {
  step: number;
  steps: number;
  /** Reconstruction MSE in [-1, 1] units, and the commitment MSE (unweighted). */
  recon: number;
  commit: number;
  /** Codes used in the last logEvery steps, and the number of dead-code restarts so far. */
  used: number;
  restarts: number;
  seconds: number;
}

/** EMA state of the codebook: cluster sizes (K) and sums (K, D). */
export class CodebookEma {
  readonly count: Float32Array;
  readonly sum: Float32Array;
  restarts = 0;

  constructor(private readonly model: Vqvae) {
    const { codebookSize: K, codeDim: D } = model.config;
    this.count = new Float32Array(K).fill(1);
    this.sum = new Float32Array(K * D);
    this.sum.set(model.codebook.data);
  }

  /** One EMA step with the batch's encoder outputs z (N, D) and their codes; then restart dead codes. */
  update(z: Float32Array, codes: Int32Array, rng: TensorRng): void {
    const { codebookSize: K, codeDim: D, emaDecay: d, deadThreshold } = this.model.config;
    const cb = this.model.codebook.data;
    const N = codes.length;
    const n = new Float32Array(K);
    const s = new Float32Array(K * D);
    for (let i = 0; i < N; i++) {
      const k = codes[i];
      n[k]++;
      for (let j = 0; j < D; j++) s[k * D + j] += z[i * D + j];
    }
    for (let k = 0; k < K; k++) {
      this.count[k] = d * this.count[k] + (1 - d) * n[k];
      for (let j = 0; j < D; j++) this.sum[k * D + j] = d * this.sum[k * D + j] + (1 - d) * s[k * D + j];
      if (this.count[k] > 1e-6) for (let j = 0; j < D; j++) cb[k * D + j] = this.sum[k * D + j] / this.count[k];
    }
    // Dead codes: restart each from an encoder output drawn among the worst-represented quarter of the batch.
    const dead: number[] = [];
    for (let k = 0; k < K; k++) if (this.count[k] < deadThreshold) dead.push(k);
    if (dead.length === 0) return;
    const err = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      let e = 0;
      for (let j = 0; j < D; j++) e += (z[i * D + j] - cb[codes[i] * D + j]) ** 2;
      err[i] = e;
    }
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => err[b] - err[a]);
    const pool = order.slice(0, Math.max(1, Math.ceil(N / 4)));
    for (const k of dead.slice(0, pool.length)) {
      const i = pool[rng.int(pool.length)];
      for (let j = 0; j < D; j++) {
        cb[k * D + j] = z[i * D + j] + 0.01 * rng.normal();
        this.sum[k * D + j] = cb[k * D + j];
      }
      this.count[k] = 1;
      this.restarts++;
    }
  }
}

/** Sets codebook rows from encoder outputs of the given images: the first rows take the positions in
 *  order (so distinct tiles laid out one per position each get a code), the rest take random positions. */
export function initCodebook(model: Vqvae, images: readonly Uint8Array[], seed: number): void {
  const { codebookSize: K, codeDim: D } = model.config;
  const g2 = model.grid * model.grid;
  const z = noGrad(() =>
    tidy(() =>
      reshape(permute(model.encodeLatent(model.toInput(images)), [0, 2, 3, 1]), [images.length * g2, D]).keep(),
    ),
  );
  const N = z.dim(0);
  const rng = new TensorRng(seed ^ 0xc0de);
  const cb = model.codebook.data;
  for (let k = 0; k < K; k++) {
    const i = k < N ? k : rng.int(N);
    for (let j = 0; j < D; j++) cb[k * D + j] = z.data[i * D + j] + (k < N ? 0 : 0.01 * rng.normal());
  }
  z.dispose();
}

/** Trains in place; returns the last log line. Deterministic for a seed (and backend). */
export function trainVqvae(model: Vqvae, options: Partial<TrainImageOptions> = {}): TrainLog {
  const o = { ...DEFAULT_TRAIN_IMAGE, ...options };
  // The 'patch' tokenizer on the 64 px world trains on mosaics of the world's distinct tiles (data.ts says why).
  const bank =
    !o.source && model.config.arch === 'patch' && model.imageSize === 64
      ? patchTrainingData(o.seed, o.emojiFraction)
      : null;
  const source = o.source ?? bank?.source ?? sceneEmojiSource(o.seed, o.emojiFraction, model.imageSize);
  const initImages = o.initImages ?? bank?.initImages;
  const opt = new AdamW(model.params, { lr: o.lr, weightDecay: 0, beta2: 0.99 });
  if (initImages) initCodebook(model, initImages, o.seed);
  const ema = new CodebookEma(model);
  const rng = new TensorRng(o.seed ^ 0x5eed);
  const t0 = performance.now();
  const usedWindow = new Set<number>();
  let recon = 0;
  let commit = 0;
  let seen = 0;
  let last: TrainLog | null = null;
  for (let step = 0; step < o.steps; step++) {
    const images = source.batch(o.batch);
    const r = tidy(() => {
      model.params.zeroGrad();
      const x = model.toInput(images); // (B, 3, S, S)
      const f = model.forward(x);
      const rec = mse(f.recon, x);
      const com = mse(f.z, detach(f.q));
      add(rec, scale(com, model.config.commitment)).backward();
      clipGradNorm(model.params, 1);
      opt.update(cosineLr(step, o.steps, o.lr, Math.min(100, o.steps / 10)));
      ema.update(f.z.data, f.codes, rng);
      for (const c of f.codes) usedWindow.add(c);
      return { rec: rec.item(), com: com.item() };
    });
    recon += r.rec;
    commit += r.com;
    seen++;
    const every = o.logEvery ?? 50;
    if ((step + 1) % every === 0 || step === o.steps - 1) {
      last = {
        step: step + 1,
        steps: o.steps,
        recon: recon / seen,
        commit: commit / seen,
        used: usedWindow.size,
        restarts: ema.restarts,
        seconds: (performance.now() - t0) / 1000,
      };
      o.onLog?.(last);
      usedWindow.clear();
      recon = 0;
      commit = 0;
      seen = 0;
    }
  }
  return last!;
}
