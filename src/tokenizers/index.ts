// Public face of the tokenizers part: the byte-level BPE text tokenizer, its trainer and its file format.
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
export { PRETOKENIZER, splitWords } from './text/pretokenize.js';
export { countWords, type TrainOptions, type TrainStats, trainBpe } from './text/train.js';
