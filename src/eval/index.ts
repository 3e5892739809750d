// Evaluation's public face: the verifier judges what the model produced, never the model itself.
//
// - Single turns: evaluate (every model turn of held-out items: answers, images, edits, signs, emoji) and
//   trainingEvaluator (the callback runTraining calls); metrics split by the held-out factor, per-attribute
//   scores of captions and answers, and a 95% interval with every metric (Wilson for rates).
// - `tessera eval`'s protocol and output: evaluateHeldout, formatMetricTable, formatInterval, metricRows;
//   the scaling table along a run: findCheckpoints, formatScalingTable, scalingSvg.
// - Two checkpoints on the same items: compareModels (every metric's paired difference, `tessera compare`).
// - Dialogues: evaluateDialogue (closed-loop edit chains, plans, imagine-then-answer).

export { judgeAnswer, judgeCaption, readObjects } from './attributes.js';
export {
  type ComparedMetric,
  collectJudgements,
  compareJudgements,
  compareModels,
  type Judgements,
  pairJudgements,
} from './compare.js';
export {
  DIALOGUE_KEYS,
  DIALOGUE_PARTS,
  type DialogueKey,
  type DialogueMetrics,
  type DialogueOptions,
  type DialoguePart,
  type DialogueResult,
  evaluateDialogue,
} from './dialogue.js';
export {
  type EvalOptions,
  type EvalResult,
  evaluate,
  FACTOR_KEYS,
  MEAN_METRICS,
  METRIC_KEYS,
  type MetricKey,
  type Metrics,
  mergeResults,
  objectDrawn,
  summarise,
  trainingEvaluator,
} from './evaluate.js';
export { type MetricStat, meanInterval, type PairedDifference, pairedDifference, wilson } from './interval.js';
export {
  DEFAULT_EVAL_N,
  evaluateHeldout,
  formatInterval,
  formatMetricTable,
  type HeldoutEvalOptions,
  type MetricRow,
  metricRows,
} from './report.js';
export {
  findCheckpoints,
  formatScalingTable,
  type RunCheckpoint,
  ScalingError,
  type ScalingPoint,
  scalingAxis,
  scalingSvg,
} from './scaling.js';
