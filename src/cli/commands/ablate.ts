// `tessera ablate`: joint vs generation-only vs understanding-only training. Equal compute for the shared
// skills: the joint run (trained here for --steps, or a finished run given by --joint) sees G generation
// and U understanding items; the generation-only run then trains until it has seen G items, and the
// understanding-only run U items (its steps are planned from how many items a batch of its mixture holds),
// so each skill gets the same number of examples with and without the other. Items seen are printed. A
// joint run that was itself a stage (train --init) passes its init on: both arms start from the same weights,
// so the table then says what that stage's mix did against either half of it. An arm interrupted before
// its end is resumed; a finished one is reused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { TaskKind } from '../../data/index.js';
import { evaluationItems } from '../../data/index.js';
import {
  type EvalResult,
  evaluate,
  formatInterval,
  METRIC_KEYS,
  type MetricKey,
  trainingEvaluator,
} from '../../eval/index.js';
import {
  CHECKPOINT_DIR,
  GENERATION_TASKS,
  meanItemsPerBatch,
  runTraining,
  Trainer,
  trainConfig,
  UNDERSTANDING_TASKS,
} from '../../train/index.js';
import { intOption } from '../options.js';
import { formatTable } from '../table.js';
import { parseSets } from './train.js';

/** The preset mixture's weights of these tasks. */
const pick = (mixture: Readonly<Partial<Record<TaskKind, number>>>, tasks: readonly TaskKind[]) =>
  Object.fromEntries(tasks.map((t) => [t, mixture[t] ?? 0]).filter(([, w]) => (w as number) > 0));

export function registerAblate(program: Command): void {
  program
    .command('ablate')
    .description('train joint vs generation-only vs understanding-only at equal compute per skill; print the table')
    .option('--config <preset>', 'training preset', 'tiny')
    .option('--steps <n>', 'steps of the joint run', intOption('steps', 1), 200)
    .option('--joint <dir>', 'use this finished joint run (a `tessera train --out` folder) instead of training one')
    .option('--n <n>', 'held-out items per task kind', intOption('n', 1), 10)
    .option('--out <dir>', 'output directory', 'runs/ablate')
    .option('--set <key=value...>', 'override train config keys', [])
    .action((o: { config: string; steps: number; joint?: string; n: number; out: string; set: string[] }) => {
      let joint: Trainer;
      if (o.joint) {
        joint = Trainer.resume(join(o.joint, CHECKPOINT_DIR));
        console.error(`ablate: joint = ${o.joint} (${joint.step} steps, its own config; --config/--set ignored)`);
      } else {
        const base = trainConfig(parseSets(o.set), o.config);
        const mixture = { ...pick(base.mixture, GENERATION_TASKS), ...pick(base.mixture, UNDERSTANDING_TASKS) };
        console.error(`ablate: joint, ${o.steps} steps`);
        const cfg = trainConfig({ ...parseSets(o.set), mixture, steps: o.steps, evalEvery: 0 }, o.config);
        joint = runTraining({ out: join(o.out, 'joint'), config: cfg, evaluate: trainingEvaluator() }).trainer;
      }
      const groups = { gen: GENERATION_TASKS, und: UNDERSTANDING_TASKS };
      const seen = (t: Trainer) => {
        const c = t.mixture.getState().cursors;
        const n = (tasks: readonly TaskKind[]) => tasks.reduce((a, k) => a + (c[k] ?? 0), 0);
        return { gen: n(groups.gen), und: n(groups.und) };
      };
      const jointSeen = seen(joint);
      const items = evaluationItems([...GENERATION_TASKS, ...UNDERSTANDING_TASKS], o.n);
      const results: Record<string, EvalResult> = { joint: evaluate(joint.model, joint.tok, items) };
      const counts: Record<string, { gen: number; und: number }> = { joint: jointSeen };
      // Each single-skill run sees as many items of its skill as the joint run did: its steps are that count
      // over the items a batch of its mixture holds (fixed batches, or measured under the token budget).
      for (const [name, group] of [
        ['gen-only', 'gen'],
        ['und-only', 'und'],
      ] as const) {
        const mixture = pick(joint.config.mixture, groups[group]);
        const perStep =
          joint.config.batchTokens > 0
            ? meanItemsPerBatch(
                mixture,
                joint.config.seed,
                joint.tok,
                joint.model.config.blockSize,
                joint.config.batchTokens,
              )
            : joint.config.batchSize;
        const steps = Math.max(1, Math.round(jointSeen[group] / perStep));
        console.error(`ablate: ${name}, ${steps} steps (~${perStep.toFixed(1)} items a step)`);
        const cfg = trainConfig({ ...joint.config, mixture, steps, evalEvery: 0 }, 'default');
        // A finished arm of an earlier ablate run with the same plan is reused (e.g. to re-evaluate).
        const done = join(o.out, name, CHECKPOINT_DIR);
        // One interrupted before its end is resumed (exactly, from its last checkpoint).
        const earlier = existsSync(join(done, 'state.json')) ? Trainer.resume(done) : null;
        const samePlan =
          earlier !== null &&
          earlier.config.steps === steps &&
          JSON.stringify(earlier.config.mixture) === JSON.stringify(cfg.mixture);
        let trainer: Trainer;
        if (samePlan && earlier.step === steps) {
          console.error(`ablate: ${name}: reusing the finished run in ${done}`);
          trainer = earlier;
        } else if (samePlan) {
          console.error(`ablate: ${name}: resuming at step ${earlier.step} of ${steps}`);
          trainer = runTraining({
            out: join(o.out, name),
            resume: join(o.out, name),
            evaluate: trainingEvaluator(),
          }).trainer;
        } else trainer = runTraining({ out: join(o.out, name), config: cfg, evaluate: trainingEvaluator() }).trainer;
        results[name] = evaluate(trainer.model, trainer.tok, items);
        counts[name] = seen(trainer);
      }
      const d = (a: number | null, b: number | null) =>
        a === null || b === null ? 'n/a' : (a - b >= 0 ? '+' : '') + (a - b).toFixed(3);
      console.log(
        formatTable(
          ['run', 'generation items', 'understanding items'],
          Object.entries(counts).map(([name, c]) => [name, c.gen, c.und]),
          { counts: ['generation items', 'understanding items'] },
        ),
      );
      console.log();
      // each arm's value with its 95% interval (the same items for every arm), then the differences
      const arms = ['joint', 'gen-only', 'und-only'];
      const cell = (r: EvalResult, k: MetricKey) =>
        r.metrics[k] === null ? 'n/a' : `${r.metrics[k]!.toFixed(3)} ${formatInterval(r.intervals[k], false)}`;
      const rows = METRIC_KEYS.map((k) => {
        const [j, g, u] = arms.map((n) => results[n].metrics[k]);
        return [k, String(results.joint.counts[k]), ...arms.map((n) => cell(results[n], k)), d(j, g), d(j, u)];
      });
      console.log(formatTable(['metric', 'n', ...arms, 'joint-gen', 'joint-und'], rows));
      const metrics = Object.fromEntries(arms.map((n) => [n, results[n].metrics]));
      const intervals = Object.fromEntries(arms.map((n) => [n, results[n].intervals]));
      console.log(JSON.stringify({ counts, results: metrics, intervals, n: results.joint.counts }));
    });
}
