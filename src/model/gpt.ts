// A decoder-only transformer (GPT-2 style: learned positions, pre-LayerNorm, GELU MLP, fused qkv),
// written against the tensor engine. Read top to bottom: config, parameters, forward, KV-cache decoding.
import {
  add,
  causalAttention,
  crossEntropy,
  embedding,
  gelu,
  KVCache,
  layerNorm,
  linear,
  mul,
  Params,
  Rng,
  type Tensor,
} from '../tensor/index.js';

export interface GPTConfig {
  /** Tokens in the vocabulary. */
  vocabSize: number;
  /** Longest sequence (learned position table size). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Model width C; must be divisible by nHead. */
  nEmbd: number;
  /** MLP hidden width (usually 4 * nEmbd). */
  mlpHidden: number;
  seed: number;
}

export const GPT_PRESETS = Object.freeze({
  /** The reference model of the training benchmark (bench/train-step). */
  reference: Object.freeze<GPTConfig>({
    vocabSize: 2048,
    blockSize: 256,
    nLayer: 4,
    nHead: 4,
    nEmbd: 256,
    mlpHidden: 1024,
    seed: 1,
  }),
  /** Tiny: for tests that must train in seconds. */
  tiny: Object.freeze<GPTConfig>({
    vocabSize: 16,
    blockSize: 16,
    nLayer: 2,
    nHead: 2,
    nEmbd: 32,
    mlpHidden: 64,
    seed: 1,
  }),
});

export function gptConfig(
  overrides: Partial<GPTConfig> = {},
  base: GPTConfig = GPT_PRESETS.reference,
): Readonly<GPTConfig> {
  for (const k of Object.keys(overrides))
    if (!(k in base)) throw new Error(`GPT config: unknown key "${k}" (known: ${Object.keys(base).join(', ')})`);
  const c = { ...base, ...overrides };
  if (c.nEmbd % c.nHead !== 0) throw new Error(`GPT config: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`);
  return Object.freeze(c);
}

export class GPT {
  readonly params: Params;

  /** headRows: rows of the output head (default vocabSize); a model that scores some tokens another way
   *  (the multimodal model's image codes) keeps the head to the rest. */
  constructor(
    readonly config: Readonly<GPTConfig>,
    headRows = config.vocabSize,
  ) {
    const { vocabSize: V, blockSize: T, nLayer: L, nEmbd: C, mlpHidden: Hm } = config;
    const p = new Params(new Rng(config.seed));
    const std = 0.02;
    const projStd = 0.02 / Math.sqrt(2 * L); // GPT-2's scaled init for residual projections
    p.add('wte', [V, C], { kind: 'normal', std });
    p.add('wpe', [T, C], { kind: 'normal', std });
    for (let l = 0; l < L; l++) {
      const b = `h.${l}`;
      p.add(`${b}.ln1.w`, [C], { kind: 'ones' });
      p.add(`${b}.ln1.b`, [C], { kind: 'zeros' });
      p.add(`${b}.attn.qkv.w`, [3 * C, C], { kind: 'normal', std });
      p.add(`${b}.attn.qkv.b`, [3 * C], { kind: 'zeros' });
      p.add(`${b}.attn.proj.w`, [C, C], { kind: 'normal', std: projStd });
      p.add(`${b}.attn.proj.b`, [C], { kind: 'zeros' });
      p.add(`${b}.ln2.w`, [C], { kind: 'ones' });
      p.add(`${b}.ln2.b`, [C], { kind: 'zeros' });
      p.add(`${b}.mlp.fc.w`, [Hm, C], { kind: 'normal', std });
      p.add(`${b}.mlp.fc.b`, [Hm], { kind: 'zeros' });
      p.add(`${b}.mlp.proj.w`, [C, Hm], { kind: 'normal', std: projStd });
      p.add(`${b}.mlp.proj.b`, [C], { kind: 'zeros' });
    }
    p.add('lnf.w', [C], { kind: 'ones' });
    p.add('lnf.b', [C], { kind: 'zeros' });
    p.add('head.w', [headRows, C], { kind: 'normal', std });
    this.params = p;
  }

  private embed(
    ids: Int32Array,
    B: number,
    T: number,
    pos0: number,
    extra: Tensor | null,
    tokScale: Tensor | null = null,
  ): Tensor {
    const { blockSize } = this.config;
    if (pos0 + T > blockSize) throw new Error(`GPT: positions ${pos0}..${pos0 + T - 1} exceed blockSize ${blockSize}`);
    const posIds = new Int32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) posIds[b * T + t] = pos0 + t;
    const looked = embedding(this.params.get('wte'), ids, [B, T]); // (B, T, C)
    const tok = tokScale ? mul(looked, tokScale) : looked;
    const pos = embedding(this.params.get('wpe'), posIds, [B, T]); // (B, T, C)
    const x = add(tok, pos);
    return extra ? add(x, extra) : x;
  }

  private block(l: number, x: Tensor, attend: (qkv: Tensor) => Tensor): Tensor {
    const p = (n: string) => this.params.get(`h.${l}.${n}`);
    const h1 = layerNorm(x, p('ln1.w'), p('ln1.b')); // (B, T, C)
    const qkv = linear(h1, p('attn.qkv.w'), p('attn.qkv.b')); // (B, T, 3C)
    const y = attend(qkv); // (B, T, C)
    const x1 = add(x, linear(y, p('attn.proj.w'), p('attn.proj.b')));
    const h2 = layerNorm(x1, p('ln2.w'), p('ln2.b'));
    const m = gelu(linear(h2, p('mlp.fc.w'), p('mlp.fc.b'))); // (B, T, Hm)
    return add(x1, linear(m, p('mlp.proj.w'), p('mlp.proj.b')));
  }

  /** The final LayerNorm: the hidden state every head reads. */
  private final(x: Tensor): Tensor {
    return layerNorm(x, this.params.get('lnf.w'), this.params.get('lnf.b')); // (B, T, C)
  }

  /** Logits (..., headRows) of hidden states (..., C). */
  head(h: Tensor): Tensor {
    return linear(h, this.params.get('head.w'), null);
  }

  /** Logits (B, T, V) for ids (B*T values, row-major). keyMask (B, T): 0 marks padding keys.
   *  extra (B, T, C), when given, is added to the token + position embeddings (e.g. 2-D image positions). */
  forward(
    ids: Int32Array,
    B: number,
    T: number,
    keyMask: Float32Array | null = null,
    extra: Tensor | null = null,
  ): Tensor {
    return this.head(this.hidden(ids, B, T, keyMask, extra));
  }

  /** The final hidden states (B, T, C), before the head. tokScale (B, T, C), when given, multiplies the
   *  token embeddings (wte rows) before positions and extra are added (a constant: 0 drops a row there). */
  hidden(
    ids: Int32Array,
    B: number,
    T: number,
    keyMask: Float32Array | null = null,
    extra: Tensor | null = null,
    tokScale: Tensor | null = null,
  ): Tensor {
    if (ids.length !== B * T) throw new Error(`GPT.forward: ${ids.length} ids for B=${B} x T=${T}`);
    let x = this.embed(ids, B, T, 0, extra, tokScale);
    for (let l = 0; l < this.config.nLayer; l++)
      x = this.block(l, x, (qkv) => causalAttention(qkv, this.config.nHead, keyMask));
    return this.final(x);
  }

  /** Mean cross-entropy of next-token prediction; targets use -1 for positions without loss. */
  loss(ids: Int32Array, targets: Int32Array, B: number, T: number, weights: Float32Array | null = null): Tensor {
    return crossEntropy(this.forward(ids, B, T), targets, { ignoreIndex: -1, weights });
  }

  /** One KV cache per layer, for incremental decoding (inference only; call under noGrad). */
  newCache(B: number, Tmax = this.config.blockSize): KVCache[] {
    return Array.from({ length: this.config.nLayer }, () => new KVCache(B, Tmax, this.config.nEmbd));
  }

  /** Logits (B, Tq, V) for Tq new tokens appended after what the caches hold. */
  forwardCached(
    ids: Int32Array,
    B: number,
    Tq: number,
    caches: KVCache[],
    keyMask: Float32Array | null = null,
    extra: Tensor | null = null,
  ): Tensor {
    return this.head(this.hiddenCached(ids, B, Tq, caches, keyMask, extra));
  }

  /** Hidden states (B, Tq, C) for Tq new tokens appended after what the caches hold. */
  hiddenCached(
    ids: Int32Array,
    B: number,
    Tq: number,
    caches: KVCache[],
    keyMask: Float32Array | null = null,
    extra: Tensor | null = null,
  ): Tensor {
    let x = this.embed(ids, B, Tq, caches[0].length, extra);
    for (let l = 0; l < this.config.nLayer; l++)
      x = this.block(l, x, (qkv) => caches[l].step(qkv, this.config.nHead, keyMask));
    return this.final(x);
  }
}
