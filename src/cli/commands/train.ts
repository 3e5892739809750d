// `tessera train`: one run over the task mixture; checkpoints, metrics log and curves in --out. With --data,
// the user's own manifest is mixed in (--data-ratio), optionally fine-tuning a model folder (--init).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { trainingEvaluator } from '../../eval/index.js';
import { loadModel, saveModel } from '../../model/index.js';
import {
  fineTune,
  runTraining,
  TRAIN_CONFIG_FILE,
  TRAIN_PRESETS,
  type TrainConfig,
  trainConfig,
} from '../../train/index.js';
import { intOption } from '../options.js';

/** `--set key=value` pairs (numbers parsed) as config overrides. */
export function parseSets(sets: string[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const s of sets) {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`--set expects key=value, got '${s}'`);
    const v = s.slice(i + 1);
    o[s.slice(0, i)] = Number.isFinite(Number(v)) ? Number(v) : v.startsWith('{') ? JSON.parse(v) : v;
  }
  return o;
}

/** `--data-ratio`: a fraction in [0, 1]. */
function ratioOption(v: string): number {
  const r = Number(v);
  if (v.trim() === '' || !(r >= 0 && r <= 1)) throw new Error(`--data-ratio must be a number in 0..1, got ${v}`);
  return r;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the multimodal model on the task mixture (checkpoints, metrics.jsonl, curves.svg in --out)')
    .option('--config <preset>', `training preset (${Object.keys(TRAIN_PRESETS).join(', ')})`, 'default')
    .option('--minutes <m>', 'time budget in minutes (planned steps set from measured speed)')
    .option('--steps <n>', 'planned steps (overrides the preset)', intOption('steps', 1))
    .option('--out <dir>', 'output directory', 'runs/default')
    .option('--resume <dir>', 'resume the run in DIR exactly where its checkpoint left it')
    .option('--force', 'a fresh run into an --out folder that already holds a run replaces it')
    .option('--set <key=value...>', 'override train config keys', [])
    .option(
      '--keep-checkpoints <every>',
      'also keep a copy of the checkpoint every N steps (OUT/checkpoints/step-N), for tessera eval-scaling',
      intOption('keep-checkpoints', 1),
    )
    .option('--cache <file>', 'stream batches from this token cache (written first from the mixture if missing)')
    .option(
      '--cache-items <n>',
      'items to tokenize into a new cache (default: steps x batch)',
      intOption('cache-items', 1),
    )
    .option('--data <manifest>', "train on your own data too: a JSONL manifest (docs/data.md), mixed with the world's")
    .option(
      '--data-ratio <r>',
      'with --data: the fraction of training items from it (0..1)',
      ratioOption,
      trainConfig().dataRatio,
    )
    .option('--init <dir>', 'fine-tune from this model folder (weights + tokenizers; fresh optimizer, new run)')
    .action(
      (o: {
        data?: string;
        dataRatio: number;
        init?: string;
        config: string;
        minutes?: string;
        steps?: number;
        out: string;
        resume?: string;
        set: string[];
        cache?: string;
        cacheItems?: number;
        force?: boolean;
        keepCheckpoints?: number;
      }) => {
        if (o.minutes && o.steps) throw new Error('give --minutes or --steps, not both');
        const overrides = parseSets(o.set);
        if (o.steps !== undefined) overrides.steps = o.steps;
        if (o.keepCheckpoints !== undefined) overrides.keepEvery = o.keepCheckpoints;
        const minutes = o.minutes ? Number(o.minutes) : undefined;
        if (minutes !== undefined && !(minutes > 0)) throw new Error(`--minutes must be > 0, got ${o.minutes}`);
        const out = o.resume ?? o.out;
        if (o.resume && (o.data || o.init))
          throw new Error('--resume continues a run on the data it started with; do not give --data or --init with it');
        if (o.data && o.cache) throw new Error('--cache holds only the world mixture; with --data train without it');
        if (o.init && !o.data) overrides.init = resolve(o.init);
        const common = { out, minutes, force: o.force, evaluate: trainingEvaluator() };
        const r = o.data
          ? fineTune({
              ...common,
              data: o.data,
              dataRatio: o.dataRatio,
              init: o.init,
              preset: o.config,
              overrides: overrides as Partial<TrainConfig>,
            })
          : runTraining({
              ...common,
              resume: o.resume,
              config: trainConfig(overrides, o.config),
              cache: o.cache,
              cacheItems: o.cacheItems,
            });
        console.log(`trained to step ${r.trainer.step}; checkpoint ${join(out, 'checkpoint')}`);
        if (r.finalMetrics) console.log(JSON.stringify(r.finalMetrics));
      },
    );

  program
    .command('export')
    .description('write a checkpoint without its training state (weights, config, tokenizers): what ships')
    .argument('<checkpoint>', 'checkpoint directory written by tessera train')
    .argument('<dir>', 'where to write it (replaced atomically), e.g. models/tessera-default')
    .action((from: string, to: string) => {
      // never onto its own source (or inside it): that would delete the checkpoint's optimizer and state
      const src = realpathSync(from);
      const dst = existsSync(to) ? realpathSync(to) : resolve(to);
      if (dst === src || dst.startsWith(`${src}${sep}`) || src.startsWith(`${dst}${sep}`))
        throw new Error(
          `export: ${to} is ${dst === src ? 'the checkpoint itself' : 'inside or around it'} (${from}); HINT: export to another folder, e.g. models/my-model`,
        );
      const { model, tok } = loadModel(from);
      saveModel(to, model, tok, {
        files: { [TRAIN_CONFIG_FILE]: readFileSync(join(from, TRAIN_CONFIG_FILE), 'utf8') },
      });
      console.log(`wrote ${to} (${model.params.count()} parameters)`);
    });
}
