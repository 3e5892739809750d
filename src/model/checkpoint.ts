// The model on disk: the tensor engine's atomic checkpoint directory (weights.safetensors, config.json with
// the model config, optimizer + state.json when training) plus the two tokenizers as files, so a checkpoint
// directory is everything needed to run the model.
// Loading reads through a FileSource, so the same loader serves a folder (loadModel) and the files a web
// browser fetched (modelFromFiles).
import { join } from 'node:path';
import {
  type AdamW,
  CheckpointError,
  type FileSource,
  folderFiles,
  loadCheckpoint,
  memoryFiles,
  packageRoot,
  readCheckpointHeader,
  readText,
  saveCheckpoint,
} from '../tensor/index.js';
import { PatchPaletteTokenizer } from '../tokenizers/image/patch-palette.js';
import type { ImageTokenizer } from '../tokenizers/image/types.js';
import { Vqvae } from '../tokenizers/image/vqvae.js';
import { tokenizerFromJsonText, tokenizerToJson } from '../tokenizers/index.js';
import { MODEL_LIMITS, type ModelConfig, modelConfig, parameterEstimate } from './config.js';
import { MODEL_KIND, MultimodalModel } from './multimodal.js';
import type { Tokenizers } from './sequence.js';
import { TwoCodeTokenizer } from './two-code.js';

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
  // a two-code model keeps the VQ-VAE (or patch dictionary) it writes codes through; load wraps it again
  const image = tok.image instanceof TwoCodeTokenizer ? tok.image.vq : tok.image;
  if ((tok.image.codesPerPatch ?? 1) !== model.config.codesPerPatch)
    throw new Error(
      `saveModel: the image tokenizer writes ${tok.image.codesPerPatch ?? 1} codes a patch, the model ${model.config.codesPerPatch}`,
    );
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

/** Loads model + tokenizers (and, when given, the optimizer state and training state) from a folder. */
export function loadModel(dir: string, optimizerFor?: (m: MultimodalModel) => AdamW) {
  return loadModelFrom(folderFiles(dir), optimizerFor);
}

/** Loads model + tokenizers from the bytes of its files ("config.json", "image-tokenizer/config.json", ...),
 *  as a web browser fetched them; `where` (a folder or URL) names them in errors. */
export function modelFromFiles(files: ReadonlyMap<string, Uint8Array>, where: string) {
  return loadModelFrom(memoryFiles(files, where));
}

/** The files a model checkpoint can hold for inference, relative to its folder (absent ones are optional:
 *  the image tokenizer is either the VQ-VAE's folder or the patch dictionary's file). */
export const MODEL_FILES: readonly string[] = [
  'config.json',
  'weights.safetensors',
  TEXT_TOKENIZER_FILE,
  `${IMAGE_TOKENIZER_DIR}/config.json`,
  `${IMAGE_TOKENIZER_DIR}/weights.safetensors`,
  IMAGE_TOKENIZER_FILE,
];

/** The one model loader: every check (config, sizes before allocating, CRC, limits, tokenizers) is here,
 *  whether the files are a folder on disk or bytes in memory. */
export function loadModelFrom(files: FileSource, optimizerFor?: (m: MultimodalModel) => AdamW) {
  const header = readCheckpointHeader(files);
  const cfgPath = files.path('config.json');
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
  const wpath = files.path('weights.safetensors');
  const have = files.size('weights.safetensors') ?? 0;
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
  const { state } = loadCheckpoint(files, { kind: MODEL_KIND, params: model.params, optimizer });
  const missing = (file: string) =>
    new CheckpointError(
      file,
      'not found',
      `${files.where} is incomplete; use the checkpoint as tessera wrote it (or train again)`,
    );
  const textPath = files.path(TEXT_TOKENIZER_FILE);
  if (!files.exists(TEXT_TOKENIZER_FILE)) throw missing(textPath);
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
    text = tokenizerFromJsonText(readText(files, TEXT_TOKENIZER_FILE) ?? '', textPath);
  } catch (e) {
    throw damaged(textPath, e);
  }
  // the image tokenizer: the VQ-VAE's folder (shipped models), or the patch dictionary's file (tiny tests)
  const vqvae = files.exists(IMAGE_TOKENIZER_DIR);
  const imagePath = files.path(vqvae ? IMAGE_TOKENIZER_DIR : IMAGE_TOKENIZER_FILE);
  if (!vqvae && !files.exists(IMAGE_TOKENIZER_FILE)) throw missing(`${files.path(IMAGE_TOKENIZER_DIR)}/`);
  let image: ImageTokenizer;
  try {
    image = vqvae
      ? Vqvae.load(files.sub(IMAGE_TOKENIZER_DIR))
      : PatchPaletteTokenizer.fromJson(readText(files, IMAGE_TOKENIZER_FILE) ?? '');
  } catch (e) {
    throw damaged(imagePath, e);
  }
  if (config.codesPerPatch === 2) {
    try {
      image = new TwoCodeTokenizer(image);
    } catch (e) {
      throw damaged(imagePath, e);
    }
  }
  const tok: Tokenizers = { text, image };
  if (text.vocabSize !== config.textVocabSize || image.codebookSize !== config.imageCodebookSize)
    throw new CheckpointError(
      cfgPath,
      `the tokenizers (${text.vocabSize} text ids, ${image.codebookSize} codes) do not match the config (${config.textVocabSize}, ${config.imageCodebookSize})`,
      'use the checkpoint as tessera wrote it',
    );
  model.setImageTokenizer(image);
  return { model, tok, optimizer, state };
}
