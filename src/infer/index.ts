// Inference's public face: everything that draws or answers goes through the one sampler.
//
// - One-shot: generateImages (n variants as one batch; candidates ranked by the model's own reading of
//   them, reading.ts), editImage, and the prompts they build.
// - The sampler: sampleImages / sampleTurn (KV cache, guidance, temperature, top-k, top-p), pickToken.
// - Sessions: Session (a tree of turns: undo, branch, JSON), SessionStore, session files and their errors.
// - Plans: planSteps / executePlan (decomposition; copyTokens), oneShot, imagineThenAnswer, answerText.
export {
  checkModelImage,
  drawCodes,
  editImage,
  type GenerateOptions,
  generateImages,
  imagePrompt,
  RequestInputError,
  turnPrompt,
} from './generate.js';
export {
  answerText,
  copyTokens,
  type DecomposedRun,
  executePlan,
  imagineThenAnswer,
  MAX_PLAN_STEPS,
  oneShot,
  parsePlan,
  planSteps,
} from './plan.js';
export {
  captionLosses,
  captionNeighbours,
  DESCRIBE,
  type DescribeOptions,
  describeImage,
  hasSign,
  READ_SIGN,
  rankByReading,
  readingLosses,
  readingText,
  readSign,
  SIGN_DRAW_WEIGHT,
} from './reading.js';
export {
  DEFAULT_GUIDANCE,
  DEFAULT_KEEP_BIAS,
  guide,
  type PrefixCache,
  type Progress,
  type Prompt,
  pickToken,
  previousImageCodes,
  type SampleOptions,
  sampleImages,
  sampleTurn,
} from './sample.js';
export {
  contextPrompts,
  DEFAULT_HISTORY,
  type Engine,
  type History,
  NO_SIGN,
  readingQuestion,
  readSessionFile,
  SESSION_LIMITS,
  Session,
  SessionFileError,
  type SessionJson,
  type SessionShape,
  SessionStore,
  sessionShape,
  type Turn,
  type TurnInput,
  type TurnOptions,
  type TurnOutput,
  UnknownSessionError,
  UnknownTurnError,
} from './session.js';
