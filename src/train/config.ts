// Training configuration: a frozen object with commented defaults and presets; unknown keys rejected.
// Saved in the checkpoint (train-config.json) so a resumed run continues with exactly the same settings.
import type { TaskKind } from '../data/index.js';
import type { PresetName } from '../model/config.js';
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
  weightDecay: number;
  /** Global gradient-norm clip. */
  clip: number;
  seed: number;
  /** Evaluate on held-out items every this many steps (0 = only at the end), evalN items per task. */
  evalEvery: number;
  evalN: number;
  /** Write the checkpoint every this many steps (and at the end). */
  ckptEvery: number;
  /** Task kind -> weight in the mixture. */
  mixture: Partial<Record<TaskKind, number>>;
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
  mixture: { ...DEFAULT_MIXTURE },
};

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
  const bad = Object.keys(overrides).filter((k) => !(k in base));
  if (bad.length)
    throw new Error(`train config: unknown key(s) ${bad.join(', ')} (known: ${Object.keys(base).join(', ')})`);
  const c = { ...from, ...overrides } as TrainConfig;
  for (const k of [
    'steps',
    'batchSize',
    'batchTokens',
    'warmup',
    'evalEvery',
    'evalN',
    'ckptEvery',
    'seed',
    'textVocab',
    'imageCodes',
  ] as const)
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`train config: ${k} must be an integer >= 0, got ${c[k]}`);
  if (!(c.lr > 0)) throw new Error(`train config: lr must be > 0, got ${c.lr}`);
  return Object.freeze({ ...c, mixture: Object.freeze({ ...c.mixture }) });
}
