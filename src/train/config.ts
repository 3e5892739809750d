// Training configuration: a frozen object with commented defaults and presets; unknown keys rejected.
// Saved in the checkpoint (train-config.json) so a resumed run continues with exactly the same settings.
import { TASK_KINDS, type TaskKind } from '../data/index.js';
import { MAX_MASK_COLOR_RANK, MODEL_PRESETS, type PresetName } from '../model/index.js';
import { DEFAULT_MIXTURE } from './mixture.js';

export interface TrainConfig {
  /** Model preset (src/model/config.ts). */
  model: PresetName;
  /** Text tokenizer vocabulary (bytes + merges + specials). */
  textVocab: number;
  /** Image tokenizer: 0 = the shipped VQ-VAE (models/image-tokenizer, its own codebook size); N > 0 = the
   *  stand-in patch dictionary of N codes built from scenes (fast to build; used by the tiny test preset). */
  imageCodes: number;
  /** Planned steps: the horizon of the cosine schedule. With a time budget it is set from measured speed. */
  steps: number;
  /** Sequences per batch when batchTokens is 0. */
  batchSize: number;
  /** > 0: length-bucketed batches of at most this many padded tokens (rows x T) instead of batchSize
   *  sequences (src/train/buckets.ts); must be at least the model's block size. */
  batchTokens: number;
  lr: number;
  warmup: number;
  /** AdamW's decoupled decay of matrices (each step scales them by 1 - lr * weightDecay). */
  weightDecay: number;
  /** Global gradient-norm clip. */
  clip: number;
  seed: number;
  /** Evaluate on held-out items every this many steps (0 = only at the end), evalN items per task. */
  evalEvery: number;
  evalN: number;
  /** Write the checkpoint every this many steps (and at the end). */
  ckptEvery: number;
  /** > 0: also keep a copy of the checkpoint every this many steps, OUT/checkpoints/step-<N> (and one at the
   *  end), for a scaling table along the run (`tessera eval-scaling`). 0: only the latest. */
  keepEvery: number;
  /** Probability of replacing the text condition of image-producing items by an empty prompt, so that
   *  guidance has an unconditional model (moved here from the model config: only training reads it). */
  condDropout: number;
  /** The edit recipe "weight on the tokens that must change": the loss weight of an image-code target that
   *  differs from the previous image's code at its position (batch.ts changedCodeWeights); 1 = off. */
  editChangeWeight: number;
  /** 1: the model has KEEP (ModelConfig.keepCode; "this patch as in the previous image"): a fresh model is
   *  built with it, and a model folder fine-tuned with init gains it (weights copied, KEEP's vector fitted
   *  on the frozen network: trainer.ts calibrateKeep). 0: the model as it is (a folder with KEEP keeps it). */
  keepCode: number;
  /** > 0: the model's image head has the mask-times-colour term of this rank (ModelConfig.maskColorRank): a
   *  fresh model is built with it, a model folder fine-tuned with init gains it (img.color zero, so it starts
   *  as it was). 0: the model as it is. */
  maskColorRank: number;
  /** 1: the tiles' features also hold their edges (ModelConfig.tileEdges): a fresh model is built with
   *  them, a model folder fine-tuned with init gains them (their weights zero, so it starts as it was).
   *  0: the model as it is. */
  tileEdges: number;
  /** 1: factored image codes (ModelConfig.codeFactorRows; model/code-factors.ts): a fresh model scores a
   *  code by its tile's mask, foreground and background colour, each a learned row, instead of by its
   *  pixels; a model folder (init) gains it, the rows fitted by least squares to its code embeddings
   *  (MultimodalModel.withCodeFactors). 0: the model as it is. */
  codeFactors: number;
  /** 1: two codes a patch (model/two-code.ts; ModelConfig.codesPerPatch 2): a fresh model's image tokenizer
   *  writes each VQ code as its shape code and its colour code, and the model reads them as plain rows, its
   *  block twice as long as the preset's (every image is twice the tokens). Only for a fresh run (a model
   *  folder keeps the tokenizer it was made with); tileEdges, maskColorRank, codeFactors and
   *  codeResidualDrop do not apply. 0: one code a patch. */
  twoCodes: number;
  /** Probability, for each image code a training batch reads, of reading it without its per-code residual
   *  row of wte (by its tile's features alone). A code no training image holds (every patch of a held-out
   *  colour-shape pair, bench:heldout-codes) has a zero row, so without this the model never reads a code
   *  the way it must read those; 0 = off. */
  codeResidualDrop: number;
  /** Task kind -> weight in the mixture. */
  mixture: Partial<Record<TaskKind, number>>;
  /** The user's own data: a JSONL manifest (src/data/manifest; '' = none). Its train-split lines are mixed
   *  into the world's mixture, captions in both directions (image -> caption and caption -> image). */
  data: string;
  /** With data: the fraction of training items drawn from it (the rest from the mixture). */
  dataRatio: number;
  /** Fine-tune: start from this model folder's weights and tokenizers ('' = a fresh model); the optimizer
   *  and the run are new. The folder's own config then decides the model (model, textVocab and imageCodes
   *  are not used). */
  init: string;
}

const base: TrainConfig = {
  model: 'default',
  textVocab: 512,
  imageCodes: 0,
  steps: 3000,
  batchSize: 8,
  batchTokens: 0,
  lr: 2e-3,
  warmup: 100,
  weightDecay: 0.05,
  clip: 1,
  seed: 1,
  evalEvery: 500,
  evalN: 6,
  ckptEvery: 200,
  keepEvery: 0,
  condDropout: 0.1,
  editChangeWeight: 1,
  keepCode: 0,
  maskColorRank: 0,
  tileEdges: 0,
  codeFactors: 0,
  twoCodes: 0,
  codeResidualDrop: 0,
  mixture: { ...DEFAULT_MIXTURE },
  data: '',
  dataRatio: 0.5,
  init: '',
};

const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as string[];

/** Upper bounds on the integer keys (docs/limits.md): what one 2-core machine can hold, with room. */
export const TRAIN_LIMITS = Object.freeze({
  steps: 100_000_000,
  batchSize: 512,
  batchTokens: 262_144,
  warmup: 100_000_000,
  evalEvery: 100_000_000,
  evalN: 10_000,
  ckptEvery: 100_000_000,
  keepEvery: 100_000_000,
  seed: 2 ** 31 - 1,
  textVocab: 65_536,
  imageCodes: 65_536,
});

export const TRAIN_PRESETS = Object.freeze({
  default: Object.freeze<TrainConfig>({ ...base, batchTokens: 2048 }),
  specialist: Object.freeze<TrainConfig>({ ...base, model: 'specialist', mixture: { t2i: 1 } }),
  tiny: Object.freeze<TrainConfig>({
    ...base,
    model: 'tiny',
    textVocab: 400,
    imageCodes: 1024,
    steps: 40,
    batchSize: 4,
    lr: 3e-3,
    warmup: 5,
    evalEvery: 0,
    evalN: 1,
    ckptEvery: 10,
  }),
});
export type TrainPreset = keyof typeof TRAIN_PRESETS;

export function trainConfig(
  overrides: Partial<Record<string, unknown>> = {},
  preset: string = 'default',
): Readonly<TrainConfig> {
  const from = (TRAIN_PRESETS as Record<string, TrainConfig>)[preset];
  if (!from)
    throw new Error(`train config: unknown preset "${preset}" (known: ${Object.keys(TRAIN_PRESETS).join(', ')})`);
  const problems: string[] = [];
  const bad = Object.keys(overrides).filter((k) => !(k in base));
  if (bad.length) problems.push(`unknown key(s) ${bad.join(', ')} (known: ${Object.keys(base).join(', ')})`);
  const c = { ...from, ...overrides } as TrainConfig;
  for (const [k, max] of Object.entries(TRAIN_LIMITS) as [keyof typeof TRAIN_LIMITS, number][]) {
    const v = c[k];
    if (!Number.isInteger(v) || v < 0) problems.push(`${k} must be an integer >= 0, got ${JSON.stringify(v)}`);
    else if (v > max) problems.push(`${k} ${v} exceeds the limit ${max}`);
  }
  if (c.batchTokens === 0 && c.batchSize < 1) problems.push('batchSize must be >= 1 when batchTokens is 0');
  if (!(typeof c.lr === 'number' && c.lr > 0 && c.lr <= 1)) problems.push(`lr must be in (0, 1], got ${c.lr}`);
  // Decoupled decay scales each matrix by (1 - lr * weightDecay) a step, which must stay positive.
  if (!(typeof c.weightDecay === 'number' && c.weightDecay >= 0 && c.lr * c.weightDecay < 1))
    problems.push(`weightDecay must be >= 0 with lr * weightDecay < 1, got ${c.weightDecay} (lr ${c.lr})`);
  if (!(typeof c.clip === 'number' && c.clip > 0)) problems.push(`clip must be > 0, got ${c.clip}`);
  if (!(typeof c.condDropout === 'number' && c.condDropout >= 0 && c.condDropout < 1))
    problems.push(`condDropout must be in [0, 1), got ${c.condDropout}`);
  if (!(typeof c.codeResidualDrop === 'number' && c.codeResidualDrop >= 0 && c.codeResidualDrop < 1))
    problems.push(`codeResidualDrop must be in [0, 1), got ${JSON.stringify(c.codeResidualDrop)}`);
  if (!MODEL_PRESET_NAMES.includes(c.model))
    problems.push(`model must be a preset (${MODEL_PRESET_NAMES.join(', ')}), got ${JSON.stringify(c.model)}`);
  for (const k of ['data', 'init'] as const)
    if (typeof c[k] !== 'string')
      problems.push(`${k} must be a path (a string; '' for none), got ${JSON.stringify(c[k])}`);
  if (c.keepCode !== 0 && c.keepCode !== 1) problems.push(`keepCode must be 0 or 1, got ${JSON.stringify(c.keepCode)}`);
  if (!(Number.isInteger(c.maskColorRank) && c.maskColorRank >= 0 && c.maskColorRank <= MAX_MASK_COLOR_RANK))
    problems.push(`maskColorRank must be an integer 0..${MAX_MASK_COLOR_RANK}, got ${JSON.stringify(c.maskColorRank)}`);
  if (c.tileEdges !== 0 && c.tileEdges !== 1)
    problems.push(`tileEdges must be 0 or 1, got ${JSON.stringify(c.tileEdges)}`);
  if (c.codeFactors !== 0 && c.codeFactors !== 1)
    problems.push(`codeFactors must be 0 or 1, got ${JSON.stringify(c.codeFactors)}`);
  if (c.codeFactors && c.maskColorRank) problems.push('codeFactors and maskColorRank cannot both be set');
  if (c.twoCodes !== 0 && c.twoCodes !== 1) problems.push(`twoCodes must be 0 or 1, got ${JSON.stringify(c.twoCodes)}`);
  if (c.twoCodes && (c.tileEdges || c.maskColorRank || c.codeFactors || c.codeResidualDrop))
    problems.push(
      'twoCodes reads codes as plain rows: tileEdges, maskColorRank, codeFactors and codeResidualDrop must be 0 with it',
    );
  if (c.twoCodes && c.init) problems.push('twoCodes is for a fresh run: a model folder (init) keeps its tokenizer');
  if (!(typeof c.editChangeWeight === 'number' && c.editChangeWeight >= 1 && c.editChangeWeight <= 100))
    problems.push(`editChangeWeight must be a number in [1, 100], got ${JSON.stringify(c.editChangeWeight)}`);
  if (!(typeof c.dataRatio === 'number' && c.dataRatio >= 0 && c.dataRatio <= 1))
    problems.push(`dataRatio must be in [0, 1], got ${JSON.stringify(c.dataRatio)}`);
  const mix = c.mixture as Record<string, unknown> | null;
  if (mix === null || typeof mix !== 'object' || Array.isArray(mix)) problems.push('mixture must be an object');
  else {
    const unknown = Object.keys(mix).filter((k) => !(TASK_KINDS as readonly string[]).includes(k));
    if (unknown.length)
      problems.push(`mixture: unknown task(s) ${unknown.join(', ')} (known: ${TASK_KINDS.join(', ')})`);
    for (const [k, w] of Object.entries(mix))
      if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0))
        problems.push(`mixture.${k} must be a number >= 0, got ${JSON.stringify(w)}`);
    if (!Object.values(mix).some((w) => typeof w === 'number' && w > 0))
      problems.push('mixture needs at least one task with weight > 0');
  }
  if (problems.length) throw new Error(`train config: ${problems.join('; ')}`);
  return Object.freeze({ ...c, mixture: Object.freeze({ ...c.mixture }) });
}
