// The image tokenizer on the command line: `tessera tokenizer train-image | eval-image` (in the existing
// `tokenizer` group), and top-level `tessera encode IMAGE.png` / `tessera decode CODES.json [-o OUT.png]`.
// The default tokenizer is the one shipped in models/image-tokenizer/. Outputs follow the CLI's one rule
// (../output.ts): decode writes out/decode-N.png when no -o is given; a named file that exists (-o, --grid)
// is refused unless --force.
import type { Command } from 'commander';
import { encodePng, encodePngAt } from '../../data/index.js';
import { kernels } from '../../tensor/index.js';
import {
  codesToJson,
  DEFAULT_TRAIN_IMAGE,
  defaultImageTokenizerDir,
  type EmojiEval,
  evalEmoji,
  evalScenes,
  makeVqvaeConfig,
  pairGrid,
  readCodesFile,
  readImageFile,
  type SceneEval,
  trainVqvae,
  Vqvae,
} from '../../tokenizers/index.js';
import { intOption, scaleOption } from '../options.js';
import { checkWritable, DEFAULT_OUT_DIR, numberedPaths, writeOutput } from '../output.js';
import { formatTable } from '../table.js';

/** The evaluation as a table, one row per image set (scene-only columns n/a for emoji), then the mismatches. */
export function imageEvalTable(s: SceneEval, e: EmojiEval | null): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const rows = [
    [
      'held-out scenes',
      s.n,
      pct(s.exact),
      pct(s.wordExact),
      pct(s.pixelExact),
      s.psnr,
      s.usage.used,
      s.usage.perplexity,
    ],
  ];
  if (e) rows.push(['held-out emoji', e.n, 'n/a', 'n/a', 'n/a', e.psnr, e.usage.used, e.usage.perplexity]);
  const kinds = Object.entries(s.mismatches).map(([k, v]) => `${k} ${v}`);
  return [
    formatTable(
      ['set', 'n', 'verifier-exact', 'word exact', 'pixel-exact', 'PSNR dB', 'codes used', 'perplexity'],
      rows,
      { digits: 2, counts: ['n', 'codes used'] },
    ),
    `scene mismatches: ${kinds.join(', ') || 'none'}; codebook ${s.usage.codebookSize} codes`,
  ].join('\n');
}

/** Evaluates and prints; writes the emoji grid when asked. */
function evaluate(model: Vqvae, n: number, nEmoji: number, grid?: string, force = false): void {
  const s = evalScenes(model, n);
  const e = nEmoji > 0 ? evalEmoji(model, nEmoji) : null;
  console.log(imageEvalTable(s, e));
  if (e && grid) {
    writeOutput(grid, encodePng(pairGrid(e.originals.slice(0, 16), e.recons.slice(0, 16), model.imageSize)), force);
    console.log(`wrote ${grid} (original | reconstruction)`);
  }
}

export function registerImageTokenizer(program: Command): void {
  const group =
    program.commands.find((c) => c.name() === 'tokenizer') ??
    program.command('tokenizer').description('train and use the tokenizers');

  group
    .command('train-image')
    .description('train the VQ-VAE image tokenizer on fresh train-split scenes and emoji, then evaluate it')
    .option('--steps <n>', 'optimiser steps', intOption('steps', 1), DEFAULT_TRAIN_IMAGE.steps)
    .option('--batch <n>', 'images a step', intOption('batch', 1), DEFAULT_TRAIN_IMAGE.batch)
    .option('--seed <s>', 'seed of the weights and the data', intOption('seed', 0), 0)
    .option('--out <dir>', 'checkpoint directory to write', 'runs/image-tokenizer')
    .option('--config <json>', 'VQ-VAE config overrides as JSON, e.g. {"codebookSize": 512}', '{}')
    .option('--preset <name>', 'config preset (default, tiny)', 'default')
    .option('--eval <n>', 'held-out scenes to evaluate at the end (0: none)', intOption('eval', 0), 1000)
    .action(
      (o: {
        steps: number;
        batch: number;
        seed: number;
        out: string;
        config: string;
        preset: string;
        eval: number;
      }) => {
        const config = makeVqvaeConfig(JSON.parse(o.config) as Record<string, unknown>, o.preset);
        const model = new Vqvae(config, o.seed);
        console.log(
          `backend ${kernels().info().backend}, ${model.params.count()} weights + codebook ${config.codebookSize}x${config.codeDim}, ${o.steps} steps of ${o.batch}`,
        );
        const last = trainVqvae(model, {
          steps: o.steps,
          batch: o.batch,
          seed: o.seed,
          onLog: (l) =>
            console.log(
              `step ${String(l.step).padStart(5)}/${l.steps}  recon ${l.recon.toFixed(4)}  commit ${l.commit.toFixed(4)}  codes used ${l.used}  restarts ${l.restarts}  ${l.seconds.toFixed(0)} s`,
            ),
        });
        model.save(o.out, { state: { steps: o.steps, batch: o.batch, seed: o.seed, seconds: last.seconds } });
        console.log(`trained in ${last.seconds.toFixed(1)} s (wall); wrote ${o.out}`);
        if (o.eval > 0 && model.imageSize === 64) evaluate(model, o.eval, 200);
      },
    );

  group
    .command('eval-image')
    .description('held-out scenes through the image tokenizer and the verifier; PSNR on scenes and emoji')
    .option('--tokenizer <dir>', 'tokenizer directory', defaultImageTokenizerDir())
    .option('--n <n>', 'held-out scenes', intOption('n', 1), 1000)
    .option('--emoji <n>', 'held-out emoji', intOption('emoji', 0), 200)
    .option('--grid <png>', 'write originals beside reconstructions of 16 emoji')
    .option('--force', 'replace the --grid file if it exists')
    .action((o: { tokenizer: string; n: number; emoji: number; grid?: string; force?: boolean }) => {
      if (o.grid) checkWritable(o.grid, o.force);
      const t0 = performance.now();
      const model = Vqvae.load(o.tokenizer);
      console.log(`loaded ${o.tokenizer} in ${(performance.now() - t0).toFixed(0)} ms`);
      evaluate(model, o.n, o.emoji, o.grid, o.force);
    });

  program
    .command('encode <image>')
    .description('print the image codes of a PNG as JSON (square images of other sizes are box-filtered)')
    .option('--tokenizer <dir>', 'tokenizer directory', defaultImageTokenizerDir())
    .action((image: string, o: { tokenizer: string }) => {
      const model = Vqvae.load(o.tokenizer);
      const { pixels, note } = readImageFile(image, model.imageSize);
      if (note) console.error(`tessera: ${note}`);
      const [codes] = model.encode([pixels]);
      console.log(codesToJson(codes, model.grid, model.codebookSize));
    });

  program
    .command('decode <codes>')
    .description('decode a JSON grid of image codes (as printed by encode) to a PNG')
    .option('-o, --out <png>', `output PNG (default: ${DEFAULT_OUT_DIR}/decode-N.png, numbered after the files there)`)
    .option('--force', 'replace the -o file if it exists')
    .option('--scale <k>', 'write the image upscaled k times, nearest neighbour (1, 2, 4, 8, 16)', scaleOption, 1)
    .option('--tokenizer <dir>', 'tokenizer directory', defaultImageTokenizerDir())
    .action((codesPath: string, o: { out?: string; force?: boolean; scale: number; tokenizer: string }) => {
      const model = Vqvae.load(o.tokenizer);
      const codes = readCodesFile(codesPath, model.grid, model.codebookSize);
      const [pixels] = model.decode([codes]);
      const out = o.out ?? numberedPaths(DEFAULT_OUT_DIR, 'decode', 1)[0];
      const img = { width: model.imageSize, height: model.imageSize, data: pixels };
      writeOutput(out, encodePngAt(img, o.scale), o.force);
      console.log(`wrote ${out}`);
    });
}
