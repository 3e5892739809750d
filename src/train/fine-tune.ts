// Training on one's own data: a run whose items are the user's manifest mixed with the world's task
// mixture (config.data, config.dataRatio), optionally fine-tuning a model folder (config.init: its weights
// and tokenizers, a fresh optimizer, a new run folder). Before the first step it says what happens to the
// user's images (fitted to 64x64) and how well the image tokenizer reconstructs them beside the world's.
// A fine-tuning run resumes like any other (`tessera train --resume DIR`): the data is saved in its config.
import { resolve } from 'node:path';
import { loadModel } from '../model/index.js';
import { type TrainConfig, trainConfig } from './config.js';
import { loadOwnData } from './own-data.js';
import { type ImageFit, imageFit } from './own-eval.js';
import { type RunOptions, type RunResult, runTraining } from './run.js';
import { buildTokenizers } from './tokenizers.js';

export interface FineTuneOptions extends Omit<RunOptions, 'config' | 'resume' | 'cache' | 'cacheItems'> {
  /** The user's JSONL manifest (docs/data.md). */
  data: string;
  /** Fraction of training items from the user's data (default 0.5). */
  dataRatio?: number;
  /** Model folder to fine-tune (e.g. models/tessera-default); without it the model is trained from scratch. */
  init?: string;
  /** Training preset and config overrides (validated like every train config). */
  preset?: string;
  overrides?: Partial<Record<string, unknown>>;
}

/** The config of a run on own data (validated; unknown keys and bad values refused). */
export function fineTuneConfig(o: Pick<FineTuneOptions, 'data' | 'dataRatio' | 'init' | 'preset' | 'overrides'>) {
  // absolute paths: a resumed run finds them from any working directory
  const extra: Partial<TrainConfig> = { data: resolve(o.data), init: o.init ? resolve(o.init) : '' };
  if (o.dataRatio !== undefined) extra.dataRatio = o.dataRatio;
  return trainConfig({ ...o.overrides, ...extra }, o.preset ?? 'default');
}

/** The notice printed at the start of a run on own data: image sizes, and the image tokenizer's fit. */
export function ownDataNotice(fit: ImageFit, manifest: string): string {
  const gap = fit.world.psnr - fit.own.psnr;
  const lines = [
    `own data ${manifest}: images are fitted to 64x64 (scaled by a box filter to fit, keeping their aspect ratio, centred on white); the text goes through the model's byte-level BPE (any text encodes; new words become more tokens).`,
    `image tokenizer reconstruction: your ${fit.own.n} images ${fit.own.psnr.toFixed(1)} dB PSNR, the world's ${fit.world.n} scenes ${fit.world.psnr.toFixed(1)} dB.`,
  ];
  if (gap > 3)
    lines.push(
      `your images reconstruct ${gap.toFixed(1)} dB worse than the world's: the model can learn them only as well as the tokenizer draws them. To retrain the image tokenizer on them: tessera tokenizer train-image --data ${manifest} --out runs/my-image-tokenizer. Cost: its codes change, so the model must then be trained again from scratch with it (fine-tuning a model on new codes does not work).`,
    );
  return lines.join('\n');
}

/** Image-tokenizer fit of the run's own data (with the tokenizers the run will use). */
export function ownDataFit(config: Readonly<TrainConfig>): ImageFit {
  const tok = config.init
    ? loadModel(config.init).tok
    : buildTokenizers(config.textVocab, config.imageCodes, config.seed);
  const own = loadOwnData(config.data);
  return imageFit(tok, own.train.concat(own.heldout));
}

/** A training run on the user's data mixed with the world's mixture; prints the notice unless quiet. */
export function fineTune(o: FineTuneOptions): RunResult & { fit: ImageFit } {
  const config = fineTuneConfig(o);
  const fit = ownDataFit(config);
  if (!o.quiet) console.error(ownDataNotice(fit, o.data));
  const { data: _d, dataRatio: _r, init: _i, preset: _p, overrides: _o, ...run } = o;
  return { ...runTraining({ ...run, config }), fit };
}
