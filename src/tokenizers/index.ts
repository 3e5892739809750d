// Public face of the tokenizers part: the byte-level BPE text tokenizer (trainer, file format) and the image
// tokenizers (the VQ-VAE: config, trainer, evaluation, file boundary; the patch dictionary of tiny tests).

// Image tokenizer: the VQ-VAE, its config, trainer, evaluation and file boundary.
export { gridOf, makeVqvaeConfig, VQVAE_PRESETS, type VqvaeConfig } from './image/config.js';
export {
  downsample,
  type ImageSource,
  mosaic,
  patchBank,
  patchMosaicSource,
  sampleEmoji,
  sampleScenes,
  sceneEmojiSource,
} from './image/data.js';
export {
  type CodeUsage,
  codeUsage,
  type EmojiEval,
  evalEmoji,
  evalScenes,
  formatEval,
  pairGrid,
  psnr,
  type SceneEval,
} from './image/eval.js';
export {
  codesToJson,
  defaultImageTokenizerDir,
  ImageIoError,
  parseCodesJson,
  readCodesFile,
  readImageFile,
  toModelSize,
} from './image/io.js';
export {
  CodebookEma,
  DEFAULT_TRAIN_IMAGE,
  initCodebook,
  type TrainImageOptions,
  type TrainLog,
  trainVqvae,
} from './image/train.js';
export { codesPerImage, drawnSoFar, type ImageTokenizer } from './image/types.js';
export { VQVAE_KIND, type VqForward, Vqvae, widths } from './image/vqvae.js';
export {
  BpeTokenizer,
  DEFAULT_SPECIAL_TOKENS,
  type EncodeOptions,
  MAX_TEXT_VOCAB,
  type Merge,
  pairKey,
} from './text/bpe.js';
export {
  FORMAT as TEXT_TOKENIZER_FORMAT,
  loadTokenizer,
  saveTokenizer,
  TokenizerFileError,
  type TokenizerJson,
  tokenizerFromJson,
  tokenizerFromJsonText,
  tokenizerToJson,
  VERSION as TEXT_TOKENIZER_VERSION,
} from './text/format.js';
export {
  BYTE_CHARS,
  type HfAddedToken,
  loadHfTokenizer,
  saveHfTokenizer,
  tokenizerFromHf,
  tokenizerToHf,
} from './text/hf.js';
export { PRETOKENIZER, splitWords } from './text/pretokenize.js';
export { countWords, type TrainOptions, type TrainStats, trainBpe } from './text/train.js';
