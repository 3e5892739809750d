// `tessera ablate`: joint vs generation-only vs understanding-only training. Equal compute for the shared
// skills: the joint run takes S steps over both groups; the single-skill runs take as many steps as the
// joint run spent (in expectation) on their group, so each skill sees the same number of examples.
import { join } from 'node:path';
import type { Command } from 'commander';
import type { TaskKind } from '../../data/index.js';
import { evaluate, METRIC_KEYS, type Metrics } from '../../eval/evaluate.js';
import { trainConfig } from '../../train/config.js';
import { GENERATION_TASKS, heldoutItems, UNDERSTANDING_TASKS } from '../../train/mixture.js';
import { runTraining } from '../../train/run.js';
import { intOption } from '../options.js';
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
    .option('--n <n>', 'held-out items per task kind', intOption('n', 1), 10)
    .option('--out <dir>', 'output directory', 'runs/ablate')
    .option('--set <key=value...>', 'override train config keys', [])
    .action((o: { config: string; steps: number; n: number; out: string; set: string[] }) => {
      const { steps } = o;
      const mixture = trainConfig(parseSets(o.set), o.config).mixture;
      const gen = pick(mixture, GENERATION_TASKS);
      const und = pick(mixture, UNDERSTANDING_TASKS);
      const sum = (m: object) => Object.values(m).reduce((a: number, b) => a + (b as number), 0);
      const share = sum(gen) / (sum(gen) + sum(und));
      const runs = [
        { name: 'joint', mixture: { ...gen, ...und }, steps },
        { name: 'gen-only', mixture: gen, steps: Math.round(steps * share) },
        { name: 'und-only', mixture: und, steps: Math.round(steps * (1 - share)) },
      ];
      const items = heldoutItems([...GENERATION_TASKS, ...UNDERSTANDING_TASKS], o.n);
      const results: Record<string, Metrics> = {};
      for (const r of runs) {
        console.error(`ablate: ${r.name}, ${r.steps} steps`);
        const cfg = trainConfig({ ...parseSets(o.set), mixture: r.mixture, steps: r.steps, evalEvery: 0 }, o.config);
        const { trainer } = runTraining({ out: join(o.out, r.name), config: cfg });
        results[r.name] = evaluate(trainer.model, trainer.tok, items).metrics;
      }
      const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
      const d = (a: number | null, b: number | null) =>
        a === null || b === null ? 'n/a' : (a - b >= 0 ? '+' : '') + (a - b).toFixed(3);
      console.log(
        [
          'metric'.padEnd(24),
          ...['joint', 'gen-only', 'und-only', 'joint-gen', 'joint-und'].map((s) => s.padEnd(12)),
        ].join(' '),
      );
      for (const k of METRIC_KEYS) {
        const [j, g, u] = ['joint', 'gen-only', 'und-only'].map((n) => results[n][k]);
        console.log([k.padEnd(24), f(j), f(g), f(u), d(j, g), d(j, u)].map((s) => s.padEnd(12)).join(' '));
      }
      console.log(JSON.stringify(results));
    });
}
