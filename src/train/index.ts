// Training's public face: one run over the task mixture, resumable exactly.
//
// - A run: runTraining (fresh or resumed, steps or a time budget, checkpoints, metrics, curves; one writer
//   per folder) and the Trainer it drives (one optimisation step; save / resume).
// - Its config: trainConfig (validated, presets, limits).
// - Its data: the Mixture of tasks, length-bucketed batches (BucketBatcher), token caches (CacheSource,
//   writeTaskCache), and how an item becomes a training sequence (trainingSequence, packBatch).
// - Its record: MetricsLog, plotCurves (and plotSeries, logAxis: the SVG plot on a log loss axis).
// - Own data: fineTune (the user's manifest mixed with the world's mixture, optionally from a model
//   folder), loadOwnData, and scores on a set of items (scoreItems: loss, caption-match; imageFit).
export { type Batch, changedCodeWeights, makeBatch, packBatch, trainingSequence } from './batch.js';
export { BucketBatcher, type BucketState, meanItemsPerBatch } from './buckets.js';
export { type CacheCursor, CacheSource, positions2d, type TokenSequence, writeTaskCache } from './cache.js';
export { TRAIN_LIMITS, TRAIN_PRESETS, type TrainConfig, type TrainPreset, trainConfig } from './config.js';
export {
  type FineTuneOptions,
  fineTune,
  fineTuneConfig,
  ownDataFit,
  ownDataNotice,
} from './fine-tune.js';
export { type LogRecord, MetricsLog, ProgressBar, plotCurves, progressBar } from './log.js';
export {
  DEFAULT_MIXTURE,
  GENERATION_TASKS,
  Mixture,
  type MixtureState,
  type OwnItems,
  UNDERSTANDING_TASKS,
} from './mixture.js';
export { loadOwnData, type OwnData, OwnDataError } from './own-data.js';
export { type ImageFit, type ItemScores, imageFit, itemLosses, scoreItems } from './own-eval.js';
export {
  type CurveSeries,
  type LogAxis,
  type LogTick,
  linearTicks,
  logAxis,
  movingAverage,
  PLOT_FRAME,
  plotSeries,
  tickLabel,
} from './plot.js';
export { CHECKPOINT_DIR, type Metrics, RunFolderError, type RunOptions, type RunResult, runTraining } from './run.js';
export { buildTokenizers } from './tokenizers.js';
export { type StepResult, TRAIN_CONFIG_FILE, Trainer } from './trainer.js';
