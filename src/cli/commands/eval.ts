// `tessera eval`: held-out items judged by the verifier, every metric with its n and 95% interval, the
// metrics split by held-out factor and per attribute; with --json the last line is one JSON object of the
// same fields. `tessera eval-scaling RUN...`: the same evaluation on every checkpoint kept along runs.
// `tessera compare A B`: two checkpoints on the same items, every metric's paired difference a - b.
// `tessera eval-data MANIFEST`: a model's scores on a user's own data (loss, caption-match) and its loss on
// world items beside them, to measure fine-tuning (docs/model.md, "Training on your own data").
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { evaluationItems, type TaskKind, TRAINING_AID_TASKS } from '../../data/index.js';
import {
  compareModels,
  DEFAULT_EVAL_N,
  DIALOGUE_KEYS,
  DIALOGUE_PARTS,
  type DialoguePart,
  type EvalResult,
  evaluateDialogue,
  evaluateHeldout,
  findCheckpoints,
  formatInterval,
  formatMetricTable,
  formatScalingTable,
  type HeldoutEvalOptions,
  metricRows,
  type ScalingPoint,
  scalingSvg,
} from '../../eval/index.js';
import { DEFAULT_GUIDANCE, DEFAULT_HISTORY, DEFAULT_KEEP_BIAS, type History } from '../../infer/index.js';
import { defaultModelDir, loadModel } from '../../model/index.js';
import { DEFAULT_MIXTURE, itemLosses, loadOwnData, scoreItems } from '../../train/index.js';
import { intOption, nonNegativeOption, numberOption, splitOption } from '../options.js';
import { formatTable } from '../table.js';

export function printMetrics(r: EvalResult): void {
  console.log(formatMetricTable(r));
}

interface EvalFlags {
  n: number;
  factorN?: number;
  split: 'heldout' | 'train';
  guidance: number;
  keepBias: number;
  candidates: number;
  lenient?: boolean;
  json?: boolean;
  tasks?: TaskKind[];
}

// Every task kind of the mixture but the training aids (sign words drawn and read, and plans, are measured
// by the factor items and the compound items).
const TASK_KINDS = (Object.keys(DEFAULT_MIXTURE) as TaskKind[]).filter((t) => !TRAINING_AID_TASKS.includes(t));

/** --tasks edit,chain: a comma-separated subset of the mixture's task kinds. */
function tasksOption(v: string): TaskKind[] {
  const kinds = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean) as TaskKind[];
  const bad = kinds.filter((k) => !TASK_KINDS.includes(k));
  if (kinds.length === 0 || bad.length)
    throw new InvalidArgumentError(`unknown task kind ${bad.join(', ') || '(none)'}; kinds: ${TASK_KINDS.join(', ')}`);
  return kinds;
}

/** The options `eval` and `eval-scaling` share. */
function evalOptions(c: Command): Command {
  return c
    .option('--n <n>', 'items per task kind', intOption('n', 1), DEFAULT_EVAL_N)
    .option(
      '--tasks <kinds>',
      `only these task kinds, comma-separated (default: all: ${TASK_KINDS.join(',')})`,
      tasksOption,
    )
    .option(
      '--factor-n <n>',
      'held-out split: items per held-out factor (default: --n; 0: none)',
      intOption('factor-n', 0),
    )
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
    .option(
      '--keep-bias <b>',
      'models with KEEP: subtracted from its logit (more redrawing, less keeping)',
      numberOption('keep-bias'),
      DEFAULT_KEEP_BIAS,
    )
    .option(
      '--candidates <k>',
      'judge the best of k drawings (temperature 0.7) by the model reading them back, of k captions (refined word by word) and of k sign readings, each ranked by reading plus drawing (1: greedy)',
      intOption('candidates', 1, 64),
      1,
    )
    .option('--lenient', 'also judge the same outputs with the lenient verifier (malformed shapes accepted): a column')
    .option('--json', 'print one JSON object of all metrics (value, n, lo, hi, interval) as the last line');
}

/** The evaluation the shared flags ask for (eval, eval-scaling, compare). */
function heldoutOptions(o: EvalFlags): HeldoutEvalOptions {
  return {
    tasks: o.tasks ?? TASK_KINDS,
    n: o.n,
    factorN: o.factorN,
    split: o.split,
    guidance: o.guidance,
    keepBias: o.keepBias,
    candidates: o.candidates,
    lenient: o.lenient,
  };
}

function runEval(dir: string, o: EvalFlags): EvalResult {
  const { model, tok } = loadModel(dir);
  return evaluateHeldout(model, tok, heldoutOptions(o));
}

export function registerEval(program: Command): void {
  evalOptions(
    program
      .command('eval')
      .description('evaluate a checkpoint on held-out items, judged by the verifier, with 95% intervals')
      .option('--checkpoint <dir>', 'checkpoint directory (default: the shipped model)', defaultModelDir()),
  ).action((o: EvalFlags & { checkpoint: string }) => {
    const t0 = performance.now();
    const r = runEval(o.checkpoint, o);
    printMetrics(r);
    console.error(
      `${o.split}: ${o.n} items a task kind${o.split === 'heldout' ? `, ${o.factorN ?? o.n} a held-out factor` : ''}; ` +
        `rates: Wilson 95% intervals, means (mean): normal approximation; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    if (o.json) console.log(JSON.stringify(metricRows(r)));
  });
}

export function registerCompare(program: Command): void {
  evalOptions(
    program
      .command('compare')
      .description("two checkpoints on the same items: every metric's paired difference a - b with its 95% interval")
      .argument('<a>', 'checkpoint directory')
      .argument('<b>', 'checkpoint directory (e.g. the shipped model)'),
  ).action((a: string, b: string, o: EvalFlags) => {
    if (o.lenient) throw new InvalidArgumentError('compare judges with the verifier only; --lenient is for eval');
    const t0 = performance.now();
    const rows = compareModels(loadModel(a), loadModel(b), heldoutOptions(o));
    const verdict = (lo: number, hi: number) => (lo > 0 ? 'a ahead' : hi < 0 ? 'b ahead' : '');
    console.log(
      formatTable(
        ['metric', 'n', 'a', 'b', 'a - b', '95% interval', 'only a', 'only b', ''],
        rows.map((r) => [
          r.key,
          r.n,
          r.a,
          r.b,
          r.diff,
          formatInterval([r.lo, r.hi], r.onlyA === null),
          r.onlyA,
          r.onlyB,
          verdict(r.lo, r.hi),
        ]),
        { counts: ['n', 'only a', 'only b'] },
      ),
    );
    const unpaired = rows.filter((r) => r.unpairedA + r.unpairedB > 0);
    if (unpaired.length)
      console.log(
        `left unpaired (an item judged a different number of times by a and b): ${unpaired
          .map((r) => `${r.key} ${r.unpairedA}/${r.unpairedB}`)
          .join(', ')}`,
      );
    console.error(
      `a ${a}, b ${b}; ${o.split}: ${o.n} items a task kind${o.split === 'heldout' ? `, ${o.factorN ?? o.n} a held-out factor` : ''}; ` +
        `rates: Newcombe's paired 95% interval, means (mean): normal approximation of paired differences; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    if (o.json) console.log(JSON.stringify(rows));
  });
}

export function registerEvalScaling(program: Command): void {
  evalOptions(
    program
      .command('eval-scaling')
      .description('evaluate every checkpoint kept along runs (train --keep-checkpoints N): metrics against items seen')
      .argument('<runs...>', 'run folders (RUN/checkpoints/step-N and RUN/checkpoint)')
      .option('--svg <file>', 'where to write the plot (log x axis)', 'scaling.svg'),
  ).action((runs: string[], o: EvalFlags & { svg: string }) => {
    const points: ScalingPoint[] = [];
    for (const run of runs)
      for (const checkpoint of findCheckpoints(run)) {
        if (process.stderr.isTTY) process.stderr.write(`\r${checkpoint.dir}\x1b[K`);
        points.push({ checkpoint, result: runEval(checkpoint.dir, o) });
      }
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    console.log(formatScalingTable(points));
    mkdirSync(dirname(o.svg), { recursive: true });
    writeFileSync(o.svg, scalingSvg(points));
    console.error(`${points.length} checkpoints; plot ${o.svg}`);
    if (o.json)
      console.log(
        JSON.stringify(
          points.map((p) => ({
            run: p.checkpoint.run,
            step: p.checkpoint.step,
            items: p.checkpoint.items,
            metrics: metricRows(p.result),
          })),
        ),
      );
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
    .option('--parts <parts>', `only these parts, comma-separated (default: ${DIALOGUE_PARTS.join(',')})`, partsOption)
    .option('--free-plans', "let plans write any token (default: only the instruction's and the numbering)")
    .option(
      '--history <h>',
      "what each turn of a chain or a plan sees: last-image (the session's default) or dialogue (every turn that fits)",
      historyOption,
    )
    .option(
      '--keep-bias <b>',
      'models with KEEP: subtracted from its logit in chain turns and plan steps',
      numberOption('keep-bias'),
    )
    .option('--json', 'print one JSON object of all metrics as the last line')
    .action(
      (o: {
        checkpoint: string;
        n: number;
        turns: number;
        split: 'heldout' | 'train';
        parts?: DialoguePart[];
        freePlans?: boolean;
        history?: History;
        keepBias?: number;
        json?: boolean;
      }) => {
        const engine = loadModel(o.checkpoint);
        const t0 = performance.now();
        const r = evaluateDialogue(engine, {
          n: o.n,
          chainLength: o.turns,
          split: o.split,
          parts: o.parts,
          copyPlans: !o.freePlans,
          history: o.history,
          keepBias: o.keepBias,
          onItem: (what, i) => process.stderr.isTTY && process.stderr.write(`\r${what} ${i + 1}/${o.n}\x1b[K`),
        });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        const rows = DIALOGUE_KEYS.filter((k) => r.counts[k] > 0).map((k) => [
          k,
          r.metrics[k],
          formatInterval(r.intervals[k], k === 'chain_preservation'),
          r.counts[k],
        ]);
        const d = r.stepByStepMinusOneShot;
        if (d)
          rows.push(['step_by_step_minus_one_shot', d.diff, `${formatInterval([d.lo, d.hi], false)} (paired)`, d.n]);
        console.log(formatTable(['metric', 'value', '95% interval', 'n'], rows, { counts: ['n'] }));
        if (d)
          console.log(
            `step by step right where one shot is wrong on ${d.onlyA} items, the reverse on ${d.onlyB}: ` +
              (d.lo > 0 ? 'step by step is ahead by its interval' : 'not ahead by its interval'),
          );
        const parts = o.parts ?? DIALOGUE_PARTS;
        console.error(
          `${o.n} items of each part (${parts.join(', ')}; chains of ${o.turns} turns; turns see ${o.history ?? DEFAULT_HISTORY}${o.freePlans ? '; free plans' : ''}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        if (o.json) console.log(JSON.stringify(r));
      },
    );
}

function historyOption(v: string): History {
  if (v !== 'last-image' && v !== 'dialogue') throw new InvalidArgumentError(`"${v}": last-image or dialogue`);
  return v;
}

function partsOption(v: string): DialoguePart[] {
  const parts = v.split(',').map((p) => p.trim());
  for (const p of parts)
    if (!(DIALOGUE_PARTS as readonly string[]).includes(p))
      throw new InvalidArgumentError(`unknown part "${p}": ${DIALOGUE_PARTS.join(', ')}`);
  return parts as DialoguePart[];
}

/** Mean and standard error of the mean. */
function meanSe(xs: readonly number[]): { mean: number; se: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean: m, se: Math.sqrt(v / xs.length) };
}

export function registerEvalData(program: Command): void {
  program
    .command('eval-data <manifest>')
    .description(
      "a model's loss and caption-match on your own data (train and held-out lines), and its loss on world items",
    )
    .option('--checkpoint <dir>', 'checkpoint or model directory (default: the shipped model)', defaultModelDir())
    .option('--world <n>', 'held-out world items per task kind for the world loss (0: none)', intOption('world', 0), 8)
    .option('--json', 'print one JSON object of all scores as the last line')
    .action((manifest: string, o: { checkpoint: string; world: number; json?: boolean }) => {
      const { model, tok } = loadModel(o.checkpoint);
      const own = loadOwnData(manifest);
      const out: Record<string, unknown> = { train: scoreItems(model, tok, own.train) };
      if (own.heldout.length) out.heldout = scoreItems(model, tok, own.heldout);
      if (o.world > 0) {
        const kinds = (Object.keys(DEFAULT_MIXTURE) as TaskKind[]).filter((k) => !k.startsWith('emoji'));
        const l = itemLosses(model, tok, evaluationItems(kinds, o.world, 1000, 'heldout'));
        out.world = { n: l.length, ...meanSe(l) };
      }
      const rows = Object.entries(out).flatMap(([set, v]) =>
        Object.entries(v as object).map(([score, x]) => [set, score, x]),
      );
      console.log(formatTable(['items', 'score', 'value'], rows));
      if (o.json) console.log(JSON.stringify(out));
    });
}
