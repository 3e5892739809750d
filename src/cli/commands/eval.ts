// `tessera eval`: held-out items judged by the verifier, printed as a table (metric, value, items); with
// --json the last line is one JSON object. `tessera eval-dialogue`: the closed-loop metrics, the same way.
import type { Command } from 'commander';
import type { TaskKind } from '../../data/index.js';
import { evaluationItems } from '../../data/index.js';
import { type EvalResult, evaluate, evaluateDialogue } from '../../eval/index.js';
import { DEFAULT_GUIDANCE } from '../../infer/index.js';
import { defaultModelDir, loadModel } from '../../model/index.js';
import { DEFAULT_MIXTURE } from '../../train/index.js';
import { intOption, nonNegativeOption, splitOption } from '../options.js';
import { formatTable } from '../table.js';

/** The metrics as a table: metric, value (n/a when no item measured it), items measured. */
export function metricsTable(r: EvalResult): string {
  return formatTable(
    ['metric', 'value', 'n'],
    Object.entries(r.metrics).map(([k, v]) => [k, v, r.counts[k as keyof typeof r.counts]]),
    { counts: ['n'] },
  );
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a checkpoint on held-out items, judged by the verifier')
    .option('--checkpoint <dir>', 'checkpoint directory (default: the shipped model)', defaultModelDir())
    .option('--n <n>', 'items per task kind', intOption('n', 1), 20)
    .option(
      '--split <split>',
      'heldout (combinations never trained on) or train (fresh items of trained ones)',
      splitOption,
      'heldout',
    )
    .option(
      '--guidance <s>',
      'classifier-free guidance scale for images',
      nonNegativeOption('guidance'),
      DEFAULT_GUIDANCE,
    )
    .option('--json', 'print one JSON object of all metrics as the last line')
    .action((o: { checkpoint: string; n: number; split: 'heldout' | 'train'; guidance: number; json?: boolean }) => {
      const { model, tok } = loadModel(o.checkpoint);
      const items = evaluationItems(Object.keys(DEFAULT_MIXTURE) as TaskKind[], o.n, 1000, o.split);
      const r = evaluate(model, tok, items, { guidance: o.guidance });
      console.log(metricsTable(r));
      if (o.json) console.log(JSON.stringify(r.metrics));
    });
}

export function registerEvalDialogue(program: Command): void {
  program
    .command('eval-dialogue')
    .description('closed-loop dialogue evaluation on held-out scenes: 5-turn chains, identity, plans, imagine')
    .option('--checkpoint <dir>', 'checkpoint directory (default: the shipped model)', defaultModelDir())
    .option('--n <n>', 'chains, compound items and imagine items each', intOption('n', 1), 20)
    .option('--turns <n>', 'turns per edit chain', intOption('turns', 1, 12), 5)
    .option(
      '--split <split>',
      'heldout (combinations never trained on) or train (fresh items of trained ones)',
      splitOption,
      'heldout',
    )
    .option('--json', 'print one JSON object of all metrics as the last line')
    .action((o: { checkpoint: string; n: number; turns: number; split: 'heldout' | 'train'; json?: boolean }) => {
      const engine = loadModel(o.checkpoint);
      const t0 = performance.now();
      const m = evaluateDialogue(engine, {
        n: o.n,
        chainLength: o.turns,
        split: o.split,
        onItem: (what, i) => process.stderr.isTTY && process.stderr.write(`\r${what} ${i + 1}/${o.n}\x1b[K`),
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      console.log(formatTable(['metric', 'value'], Object.entries(m)));
      console.error(
        `${o.n} chains of ${o.turns} turns, ${o.n} compound and ${o.n} imagine items in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      if (o.json) console.log(JSON.stringify(m));
    });
}
