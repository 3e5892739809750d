// The model on disk: the tensor engine's atomic checkpoint directory (weights.safetensors, config.json with
// the model config, optimizer + state.json when training) plus the two tokenizers as files, so a checkpoint
// directory is everything needed to run the model.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdamW,
  CheckpointError,
  loadCheckpoint,
  packageRoot,
  readCheckpointHeader,
  saveCheckpoint,
} from '../tensor/index.js';
import { PatchPaletteTokenizer } from '../tokenizers/image/patch-palette.js';
import type { ImageTokenizer } from '../tokenizers/image/types.js';
import { Vqvae } from '../tokenizers/image/vqvae.js';
import { tokenizerFromJsonText, tokenizerToJson } from '../tokenizers/index.js';
import { MODEL_LIMITS, type ModelConfig, modelConfig, parameterEstimate } from './config.js';
import { MODEL_KIND, MultimodalModel } from './multimodal.js';
import type { Tokenizers } from './sequence.js';

/** The shipped default model (weights, config, tokenizers), used by demo, eval and the other commands. */
export function defaultModelDir(): string {
  return join(packageRoot(), 'models', 'tessera-default');
}
export const TEXT_TOKENIZER_FILE = 'tokenizer.json';
export const IMAGE_TOKENIZER_FILE = 'image-tokenizer.json';
/** The VQ-VAE image tokenizer is a checkpoint directory of its own, nested in the model's. */
export const IMAGE_TOKENIZER_DIR = 'image-tokenizer';

export function saveModel(
  dir: string,
  model: MultimodalModel,
  tok: Tokenizers,
  extra: { optimizer?: AdamW; state?: object; files?: Record<string, string> } = {},
): void {
  const image = tok.image;
  const imageFiles: Record<string, string> = {};
  const subdirs: Record<string, (d: string) => void> = {};
  if (image instanceof Vqvae) subdirs[IMAGE_TOKENIZER_DIR] = (d) => image.save(d);
  else if (image instanceof PatchPaletteTokenizer) imageFiles[IMAGE_TOKENIZER_FILE] = image.toJson();
  else throw new Error('saveModel: the image tokenizer must be the VQ-VAE or the patch dictionary');
  saveCheckpoint(dir, {
    kind: MODEL_KIND,
    config: model.config,
    params: model.params,
    optimizer: extra.optimizer,
    state: extra.state,
    files: {
      [TEXT_TOKENIZER_FILE]: JSON.stringify(tokenizerToJson(tok.text)),
      ...imageFiles,
      ...extra.files,
    },
    subdirs,
  });
}

/** Loads model + tokenizers (and, when given, the optimizer state and training state). */
export function loadModel(dir: string, optimizerFor?: (m: MultimodalModel) => AdamW) {
  const header = readCheckpointHeader(dir);
  const cfgPath = join(dir, 'config.json');
  let config: Readonly<ModelConfig>;
  // version 1 kept condDropout in the model config; it belongs to training now (train-config.json)
  const { condDropout: _moved, ...fields } = header.config;
  try {
    config = modelConfig((header.version === 1 ? fields : header.config) as Partial<ModelConfig>, 'default');
  } catch (e) {
    throw new CheckpointError(
      cfgPath,
      (e as Error).message,
      'the config is damaged; use the checkpoint as tessera wrote it',
    );
  }
  // Before anything is allocated: the weights file must be big enough for the model the config describes
  // (4 bytes a parameter), so a config that was edited or damaged cannot make us build a huge model.
  const wpath = join(dir, 'weights.safetensors');
  const have = existsSync(wpath) ? statSync(wpath).size : 0;
  const need = 4 * parameterEstimate(config);
  const most = 4 * MODEL_LIMITS.parameters + 100 * 1024 * 1024;
  if (have > most)
    throw new CheckpointError(
      wpath,
      `is ${have} bytes, over the ${most} a model within the limits can have`,
      'see docs/limits.md',
    );
  if (have < need)
    throw new CheckpointError(
      cfgPath,
      `describes a model of at least ${need} bytes of weights, but ${wpath} has ${have}`,
      'config.json does not belong to these weights (or the weights are truncated); use the checkpoint as tessera wrote it',
    );
  const model = new MultimodalModel(config);
  const optimizer = optimizerFor?.(model);
  const { state } = loadCheckpoint(dir, { kind: MODEL_KIND, params: model.params, optimizer });
  const missing = (file: string) =>
    new CheckpointError(
      file,
      'not found',
      `${dir} is incomplete; use the checkpoint as tessera wrote it (or train again)`,
    );
  const textPath = join(dir, TEXT_TOKENIZER_FILE);
  if (!existsSync(textPath)) throw missing(textPath);
  const damaged = (file: string, e: unknown) =>
    e instanceof CheckpointError
      ? e
      : new CheckpointError(
          file,
          (e as Error).message,
          'the tokenizer file is damaged; use the checkpoint as tessera wrote it',
        );
  let text: ReturnType<typeof tokenizerFromJsonText>;
  try {
    text = tokenizerFromJsonText(readFileSync(textPath, 'utf8'), textPath);
  } catch (e) {
    throw damaged(textPath, e);
  }
  // the image tokenizer: the VQ-VAE's folder (shipped models), or the patch dictionary's file (tiny tests)
  const imageDir = join(dir, IMAGE_TOKENIZER_DIR);
  const imageFile = join(dir, IMAGE_TOKENIZER_FILE);
  if (!existsSync(imageDir) && !existsSync(imageFile)) throw missing(`${imageDir}/`);
  let image: ImageTokenizer;
  try {
    image = existsSync(imageDir)
      ? Vqvae.load(imageDir)
      : PatchPaletteTokenizer.fromJson(readFileSync(imageFile, 'utf8'));
  } catch (e) {
    throw damaged(existsSync(imageDir) ? imageDir : imageFile, e);
  }
  const tok: Tokenizers = { text, image };
  model.setImageTokenizer(image);
  if (text.vocabSize !== config.textVocabSize || image.codebookSize !== config.imageCodebookSize)
    throw new CheckpointError(
      cfgPath,
      `the tokenizers (${text.vocabSize} text ids, ${image.codebookSize} codes) do not match the config (${config.textVocabSize}, ${config.imageCodebookSize})`,
      'use the checkpoint as tessera wrote it',
    );
  return { model, tok, optimizer, state };
}
