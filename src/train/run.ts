// A training run: fresh or resumed, steps or a time budget; the metrics log, periodic held-out evaluation,
// atomic checkpoints (OUT/checkpoint; with config.keepEvery also copies OUT/checkpoints/step-<N>) and the
// plot (OUT/curves.svg). Used by `tessera train` and `ablate`.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockFolder, removeStaleCheckpointTemps } from '../tensor/index.js';
import { writeTaskCache } from './cache.js';
import type { TrainConfig } from './config.js';
import { MetricsLog, ProgressBar, plotCurves } from './log.js';
import { Mixture } from './mixture.js';
import { type StepResult, Trainer } from './trainer.js';

export interface RunOptions {
  out: string;
  /** For a fresh run. */
  config?: Readonly<TrainConfig>;
  /** Resume the run in this directory (its OUT/checkpoint). */
  resume?: string;
  /** Time budget: planned steps are set from the speed of the first steps (and then saved). */
  minutes?: number;
  /** Stop after this many steps of this process (tests: an interruption). */
  stopAfter?: number;
  quiet?: boolean;
  onStep?: (r: StepResult) => void;
  /** Fresh runs: stream batches from this token cache; written first (cacheItems mixture items, tokenized
   *  with this run's tokenizers) when the file does not exist. A resumed run keeps its cache. */
  cache?: string;
  cacheItems?: number;
  /** A fresh run into a folder that already holds a run replaces it (otherwise that is refused). */
  force?: boolean;
  /** Periodic and final evaluation (every config.evalEvery steps and at the end, when config.evalN > 0):
   *  the caller's evaluator (src/eval's trainingEvaluator), so training does not depend on evaluation. */
  evaluate?: (trainer: Trainer) => Metrics;
}

/** What an evaluation reports: metric name -> value. */
export type Metrics = Record<string, number | null>;

export interface RunResult {
  trainer: Trainer;
  losses: number[];
  finalMetrics: Metrics | null;
}

export const CHECKPOINT_DIR = 'checkpoint';
/** Kept copies along a run (config.keepEvery): OUT/checkpoints/step-<N>. */
export const KEPT_DIR = 'checkpoints';
export const keptCheckpoint = (out: string, step: number) => join(out, KEPT_DIR, `step-${step}`);

/** A run folder that cannot be used as asked: which folder, why, and what to do. */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
  constructor(
    readonly folder: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${folder} ${problem}; HINT: ${hint}`);
  }
}

/** A folder that holds (part of) a run: a checkpoint or a metrics log. */
function holdsRun(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_DIR)) || existsSync(join(dir, 'metrics.jsonl'));
}

export function runTraining(o: RunOptions): RunResult {
  if (!o.resume && holdsRun(o.out) && !o.force)
    throw new RunFolderError(
      o.out,
      'already holds a training run (a checkpoint or metrics.jsonl)',
      `continue it with --resume ${o.out}, write elsewhere with --out, or replace it with --force`,
    );
  if (o.resume && !existsSync(join(o.resume, CHECKPOINT_DIR)) && existsSync(join(o.resume, 'weights.safetensors')))
    throw new RunFolderError(
      o.resume,
      'is a model folder (weights and tokenizers, no optimizer or training state), not a training run',
      `fine-tune it instead: tessera train --init ${o.resume} --data MANIFEST.jsonl --out runs/my-model`,
    );
  if (o.resume && !existsSync(join(o.resume, CHECKPOINT_DIR)))
    throw new RunFolderError(
      o.resume,
      `has no checkpoint to resume (${holdsRun(o.resume) ? 'the run stopped before its first checkpoint' : 'not a training run'})`,
      'start it again without --resume (with --force to replace what is there)',
    );
  // one writer per run folder; then leftovers of a killed checkpoint write go
  const lock = lockFolder(o.out, o.resume ? 'train --resume' : 'train');
  try {
    removeStaleCheckpointTemps(o.out);
    return train(o);
  } finally {
    lock.release();
  }
}

function train(o: RunOptions): RunResult {
  const ckpt = join(o.out, CHECKPOINT_DIR);
  let trainer: Trainer;
  const log = new MetricsLog(join(o.out, 'metrics.jsonl'));
  if (o.resume) {
    trainer = Trainer.resume(join(o.resume, CHECKPOINT_DIR));
    log.truncateAfter(trainer.step);
  } else {
    if (!o.config) throw new Error('runTraining: a fresh run needs a config');
    trainer = Trainer.create(o.config);
    log.truncateAfter(-1);
    if (o.cache && o.config.data)
      throw new Error(
        'train: a token cache (--cache) holds only the world mixture; with own data (--data) train without it',
      );
    if (o.cache) {
      if (!existsSync(o.cache)) {
        const n = o.cacheItems ?? o.config.steps * o.config.batchSize;
        const source = new Mixture(o.config.mixture, o.config.seed + 1);
        const items = (function* () {
          for (let i = 0; i < n; i++) yield source.next();
        })();
        const r = writeTaskCache(o.cache, items, trainer.tok, trainer.config.condDropout, o.config.seed);
        if (!o.quiet) console.error(`wrote ${r.path}: ${r.sequences} sequences, ${r.tokens} tokens, ${r.bytes} bytes`);
      }
      trainer.useCache(o.cache);
    }
  }
  const c = trainer.config;
  const losses: number[] = [];
  const t0 = Date.now();
  const startStep = trainer.step;
  let tWarm = 0;
  let bar: ProgressBar | null = null;
  let finalMetrics: Metrics | null = null;
  const doEval = () => {
    if (!o.evaluate || c.evalN === 0) return null;
    const metrics = o.evaluate(trainer);
    log.append({ type: 'eval', step: trainer.step, ...metrics });
    return metrics;
  };
  while (trainer.step < trainer.plannedSteps) {
    if (o.stopAfter !== undefined && trainer.step - startStep >= o.stopAfter) return { trainer, losses, finalMetrics };
    const r = trainer.trainStep();
    losses.push(r.loss);
    o.onStep?.(r);
    log.append({ type: 'step', ...r, sec: (Date.now() - t0) / 1000 });
    // Time budget: plan the steps from the speed of steps 5..25 (the first ones pay for warm-up; 85% of
    // what is left, for evaluations and checkpoints).
    if (o.minutes && !o.resume && trainer.step === startStep + 5) tWarm = Date.now();
    // Then re-plan every 100 steps from the mean speed since step 5, so a machine that gets busier (or
    // freer) mid-run moves the horizon, and the run still ends within its budget.
    const since = trainer.step - startStep;
    if (o.minutes && !o.resume && (since === 25 || (since > 25 && since % 100 === 0))) {
      const per = (Date.now() - tWarm) / (since - 5) / 1000;
      const left = o.minutes * 60 - (Date.now() - t0) / 1000;
      trainer.plannedSteps = Math.max(trainer.step + 1, trainer.step + Math.floor((left * 0.85) / per));
    }
    if (!o.quiet) {
      bar ??= new ProgressBar(trainer.plannedSteps, startStep);
      bar.total = trainer.plannedSteps;
      bar.update(trainer.step, `loss ${r.loss.toFixed(3)}`);
    }
    if (c.evalEvery > 0 && trainer.step % c.evalEvery === 0 && trainer.step < trainer.plannedSteps) doEval();
    if (c.ckptEvery > 0 && trainer.step % c.ckptEvery === 0) trainer.save(ckpt);
    if (c.keepEvery > 0 && trainer.step % c.keepEvery === 0) trainer.save(keptCheckpoint(o.out, trainer.step));
  }
  bar?.done();
  trainer.save(ckpt);
  if (c.keepEvery > 0 && !existsSync(keptCheckpoint(o.out, trainer.step)))
    trainer.save(keptCheckpoint(o.out, trainer.step));
  if (c.evalN > 0 && !o.quiet) finalMetrics = doEval();
  writeFileSync(join(o.out, 'curves.svg'), plotCurves(log.read()));
  return { trainer, losses, finalMetrics };
}
