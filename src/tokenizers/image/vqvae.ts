// The VQ-VAE image tokenizer: a conv encoder (stride-2 convs, widths doubling towards the code grid),
// a vector quantiser with an EMA codebook, and a decoder that mirrors the encoder with transposed convs.
// An RGB image (S, S, 3 bytes) becomes a grid of (S / 2^downsamples)^2 codes; decode snaps to bytes.
// The codebook is not trained by gradient: its rows follow EMA means of the encoder outputs assigned to
// them (train.ts), and rows that go unused are restarted from poorly-represented encoder outputs.
import {
  add,
  checkpointFiles,
  conv2d,
  convTranspose2d,
  embedding,
  type FileSource,
  loadCheckpoint,
  nearestCode,
  noGrad,
  Params,
  permute,
  Rng,
  readCheckpointHeader,
  relu,
  reshape,
  saveCheckpoint,
  straightThrough,
  Tensor,
  tidy,
} from '../../tensor/index.js';
import { gridOf, makeVqvaeConfig, type VqvaeConfig } from './config.js';
import type { ImageTokenizer } from './types.js';

export const VQVAE_KIND = 'vqvae';

/** The widths of the conv stack, from the image side to the code grid: channels / 2^(n-1-i). */
export function widths(c: VqvaeConfig): number[] {
  if (c.arch === 'patch') return [c.channels];
  return Array.from({ length: c.downsamples }, (_, i) => Math.max(8, c.channels >> (c.downsamples - 1 - i)));
}

/** What a forward pass on a batch gives the trainer. */
export interface VqForward {
  /** Decoder output in [-1, 1] scale (unclamped), (B, 3, S, S). */
  recon: Tensor;
  /** Encoder outputs, one row per grid cell, (B * g * g, D). */
  z: Tensor;
  /** Their codebook rows (no gradient), (B * g * g, D). */
  q: Tensor;
  codes: Int32Array;
}

export class Vqvae implements ImageTokenizer {
  readonly config: Readonly<VqvaeConfig>;
  readonly codebookSize: number;
  readonly grid: number;
  readonly imageSize: number;
  /** Trainable weights (conv kernels and biases). */
  readonly params: Params;
  /** The codebook (K, D): persistent, no gradient; updated by EMA in train.ts. */
  readonly codebook: Tensor;

  constructor(config: Readonly<VqvaeConfig>, seed = 0) {
    this.config = config;
    this.codebookSize = config.codebookSize;
    this.grid = gridOf(config);
    this.imageSize = config.imageSize;
    const rng = new Rng(seed);
    const p = new Params(rng);
    const conv = (name: string, cout: number, cin: number, k: number) => {
      p.add(`${name}.weight`, [cout, cin, k, k], { kind: 'normal', std: Math.sqrt(2 / (cin * k * k)) });
      p.add(`${name}.bias`, [cout], { kind: 'zeros' });
    };
    const convT = (name: string, cin: number, cout: number) => {
      // each output pixel of a k4 s2 transposed conv sees cin * 4 inputs
      p.add(`${name}.weight`, [cin, cout, 4, 4], { kind: 'normal', std: Math.sqrt(2 / (cin * 4)) });
      p.add(`${name}.bias`, [cout], { kind: 'zeros' });
    };
    const w = widths(config);
    const C = w[w.length - 1];
    // encoder: 3 -> w0 -> ... -> C (stride 2 each), res blocks, 1x1 to D
    const P = 2 ** config.downsamples;
    const rk = config.arch === 'patch' ? 1 : 3; // res-block kernel
    if (config.arch === 'patch') conv('enc.patch', C, 3, P);
    else for (let i = 0; i < w.length; i++) conv(`enc.down.${i}`, w[i], i === 0 ? 3 : w[i - 1], 4);
    for (let r = 0; r < config.resBlocks; r++) conv(`enc.res.${r}`, C, C, rk);
    conv('enc.out', config.codeDim, C, 1);
    // decoder: 1x1 D -> C, res blocks, transposed convs back to 3 channels
    conv('dec.in', C, config.codeDim, 1);
    for (let r = 0; r < config.resBlocks; r++) conv(`dec.res.${r}`, C, C, rk);
    if (config.arch === 'patch') p.add('dec.patch.weight', [C, 3, P, P], { kind: 'normal', std: Math.sqrt(1 / C) });
    else for (let i = w.length - 1; i >= 0; i--) convT(`dec.up.${w.length - 1 - i}`, w[i], i === 0 ? 3 : w[i - 1]);
    if (config.arch === 'patch') p.add('dec.patch.bias', [3], { kind: 'zeros' });
    this.params = p;
    const cb = new Float32Array(config.codebookSize * config.codeDim);
    rng.fillNormal(cb, 1);
    this.codebook = new Tensor(cb, [config.codebookSize, config.codeDim], { persistent: true });
  }

  private c2(name: string, x: Tensor, stride: number, padding: number): Tensor {
    return conv2d(x, this.params.get(`${name}.weight`), this.params.get(`${name}.bias`), { stride, padding });
  }

  /** x (B, 3, S, S) in [-1, 1] -> z (B, D, g, g). */
  encodeLatent(x: Tensor): Tensor {
    const { arch, downsamples: n, resBlocks } = this.config;
    const pad = arch === 'patch' ? 0 : 1;
    let h = x;
    if (arch === 'patch')
      h = this.c2('enc.patch', h, 2 ** n, 0); // (B, C, g, g): one patch per code
    else for (let i = 0; i < n; i++) h = relu(this.c2(`enc.down.${i}`, h, 2, 1)); // (B, w_i, S/2^(i+1), ..)
    for (let r = 0; r < resBlocks; r++) h = add(h, this.c2(`enc.res.${r}`, relu(h), 1, pad)); // (B, C, g, g)
    return this.c2('enc.out', h, 1, 0); // (B, D, g, g)
  }

  /** q (B, D, g, g) -> image (B, 3, S, S) in [-1, 1] scale (unclamped). */
  decodeLatent(q: Tensor): Tensor {
    const { arch, downsamples: n, resBlocks } = this.config;
    let h = this.c2('dec.in', q, 1, 0); // (B, C, g, g)
    for (let r = 0; r < resBlocks; r++) h = add(h, this.c2(`dec.res.${r}`, relu(h), 1, arch === 'patch' ? 0 : 1));
    if (arch === 'patch') {
      const w = this.params.get('dec.patch.weight');
      return convTranspose2d(relu(h), w, this.params.get('dec.patch.bias'), { stride: 2 ** n }); // (B, 3, S, S)
    }
    for (let i = 0; i < n; i++) {
      const w = this.params.get(`dec.up.${i}.weight`);
      h = convTranspose2d(relu(h), w, this.params.get(`dec.up.${i}.bias`), { stride: 2, padding: 1 }); // doubles H, W
    }
    return h; // (B, 3, S, S)
  }

  /** Rows of z (N, D) -> nearest codes, and the codebook rows as a tensor without gradient. */
  quantize(z: Tensor): { codes: Int32Array; q: Tensor } {
    const codes = nearestCode(z, this.codebook);
    return { codes, q: embedding(this.codebook, codes) };
  }

  /** The full forward pass used in training: encode, quantise (straight-through), decode. */
  forward(x: Tensor): VqForward {
    const B = x.dim(0);
    const { grid: g } = this;
    const D = this.config.codeDim;
    const z = reshape(permute(this.encodeLatent(x), [0, 2, 3, 1]), [B * g * g, D]); // (B*g*g, D)
    const { codes, q } = this.quantize(z);
    const st = permute(reshape(straightThrough(z, q), [B, g, g, D]), [0, 3, 1, 2]); // (B, D, g, g)
    return { recon: this.decodeLatent(st), z, q, codes };
  }

  /** Bytes (HWC RGB, row-major) -> (B, 3, S, S) in [-1, 1]. */
  toInput(images: readonly Uint8Array[]): Tensor {
    const S = this.imageSize;
    const hw = S * S;
    const x = Tensor.empty([images.length, 3, S, S]);
    images.forEach((img, b) => {
      if (img.length !== hw * 3)
        throw new Error(`image ${b} has ${img.length} bytes, expected ${S}x${S}x3 = ${hw * 3}`);
      const o = b * 3 * hw;
      for (let i = 0; i < hw; i++) for (let c = 0; c < 3; c++) x.data[o + c * hw + i] = img[i * 3 + c] / 127.5 - 1;
    });
    return x;
  }

  /** (B, 3, S, S) in [-1, 1] scale -> bytes, rounded and clamped (the decoder's output is snapped). */
  toBytes(y: Tensor): Uint8Array[] {
    const [B, , S] = y.shape;
    const hw = S * S;
    return Array.from({ length: B }, (_, b) => {
      const out = new Uint8Array(hw * 3);
      const o = b * 3 * hw;
      for (let i = 0; i < hw; i++)
        for (let c = 0; c < 3; c++)
          out[i * 3 + c] = Math.round(Math.min(255, Math.max(0, (y.data[o + c * hw + i] + 1) * 127.5)));
      return out;
    });
  }

  encode(images: readonly Uint8Array[]): Int32Array[] {
    const g2 = this.grid * this.grid;
    const out: Int32Array[] = [];
    for (let s = 0; s < images.length; s += 64) {
      const chunk = images.slice(s, s + 64);
      const codes = noGrad(() =>
        tidy(() => {
          const z = this.encodeLatent(this.toInput(chunk));
          const zf = reshape(permute(z, [0, 2, 3, 1]), [chunk.length * g2, this.config.codeDim]);
          return nearestCode(zf, this.codebook);
        }),
      );
      for (let b = 0; b < chunk.length; b++) out.push(codes.slice(b * g2, (b + 1) * g2));
    }
    return out;
  }

  decode(codes: readonly Int32Array[]): Uint8Array[] {
    const { grid: g, codebookSize: K } = this;
    const D = this.config.codeDim;
    codes.forEach((c, b) => {
      if (c.length !== g * g) throw new Error(`code grid ${b} has ${c.length} codes, expected ${g}x${g} = ${g * g}`);
      const bad = c.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v < K));
      if (bad >= 0) throw new Error(`code grid ${b}: code ${c[bad]} at position ${bad} is outside 0..${K - 1}`);
    });
    const out: Uint8Array[] = [];
    for (let s = 0; s < codes.length; s += 64) {
      const chunk = codes.slice(s, s + 64);
      const ids = new Int32Array(chunk.length * g * g);
      for (let b = 0; b < chunk.length; b++) ids.set(chunk[b], b * g * g);
      const imgs = noGrad(() =>
        tidy(() => {
          const q = permute(reshape(embedding(this.codebook, ids), [chunk.length, g, g, D]), [0, 3, 1, 2]);
          return this.toBytes(this.decodeLatent(q));
        }),
      );
      out.push(...imgs);
    }
    return out;
  }

  /** Weights and the codebook in one Params for the checkpoint (the codebook as "codebook"). */
  private allTensors(): Params {
    const all = new Params(new Rng(0));
    for (const [k, t] of this.params.map) all.map.set(k, t);
    all.map.set('codebook', this.codebook);
    return all;
  }

  /** Writes DIR/weights.safetensors and DIR/config.json (kind "vqvae"), atomically. */
  save(dir: string, extra: { files?: Record<string, string | Uint8Array>; state?: object } = {}): void {
    saveCheckpoint(dir, { kind: VQVAE_KIND, config: this.config, params: this.allTensors(), ...extra });
  }

  /** Loads a tokenizer written by save() (a folder, or its files in memory); wrong kind, config or weights
   *  are refused with the reason. */
  static load(dir: string | FileSource): Vqvae {
    const files = checkpointFiles(dir);
    const header = readCheckpointHeader(files);
    const cfgPath = files.path('config.json');
    if (header.kind !== VQVAE_KIND)
      throw new Error(`${cfgPath}: holds a "${header.kind}" model, expected "${VQVAE_KIND}" (an image tokenizer)`);
    let config: Readonly<VqvaeConfig>;
    try {
      config = makeVqvaeConfig(header.config);
    } catch (e) {
      throw new Error(`${cfgPath}: ${(e as Error).message}`);
    }
    const model = new Vqvae(config);
    loadCheckpoint(files, { kind: VQVAE_KIND, params: model.allTensors() });
    const bad = model.codebook.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${files.path('weights.safetensors')}: codebook value ${bad} is not finite`);
    return model;
  }
}
