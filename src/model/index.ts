// The multimodal model's public face. Higher parts (train, infer, eval, cli) import from here.
//
// - The model: MultimodalModel (one decoder-only transformer over text ids and image codes, image codes
//   grounded in their tiles) and the GPT it is built on.
// - Its config: modelConfig (validated, frozen, presets, limits).
// - The sequence format builder: how task items become one token sequence (buildSequence) and back
//   (parseSequence), with the shared Tokenizers pair and the special ids.
// - On disk: saveModel / loadModel (a checkpoint directory with both tokenizers), the shipped model's folder.
export {
  defaultModelDir,
  IMAGE_TOKENIZER_DIR,
  IMAGE_TOKENIZER_FILE,
  loadModel,
  loadModelFrom,
  MODEL_FILES,
  modelFromFiles,
  saveModel,
  TEXT_TOKENIZER_FILE,
} from './checkpoint.js';
export {
  type CodeFactors,
  canonicalCodes,
  codeFactors,
  codeTiles,
  decodeEveryCode,
  fitFactorTable,
  tokenizerFactors,
} from './code-factors.js';
export {
  codesPerImageOf,
  MAX_MASK_COLOR_RANK,
  MODEL_LIMITS,
  MODEL_PRESETS,
  type ModelConfig,
  maskBlocks,
  modelConfig,
  type PresetName,
  parameterEstimate,
} from './config.js';
export { GPT, GPT_PRESETS, type GPTConfig, gptConfig } from './gpt.js';
export { MODEL_KIND, MultimodalModel } from './multimodal.js';
export {
  type BuildOptions,
  type BuiltSequence,
  buildSequence,
  type DecodedSegment,
  imageCodes,
  parseSequence,
  type SegmentSpan,
  specialIds,
  type Tokenizers,
  type TurnSpan,
} from './sequence.js';
export { TwoCodeTokenizer } from './two-code.js';
