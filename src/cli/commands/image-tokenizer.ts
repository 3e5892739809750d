import type { Command } from 'commander';
import { encodePng, encodePngAt, formatProblems, loadManifest } from '../../data/index.js';
import { kernels, Rng } from '../../tensor/index.js';
import type { ImageSource } from '../../tokenizers/image/data.js';
import { patchTrainingData, sceneEmojiSource } from '../../tokenizers/image/data.js';
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

/** Every distinct image of a manifest (train and held-out lines), as 64x64 RGB bytes. */
function manifestImages(path: string): Uint8Array[] {
  const r = loadManifest(path);
  if (!r.ok) throw new Error(`${path} is not valid:\n${formatProblems(path, r.problems)}`);
  const seen = new Set<Uint8Array>();
  for (const it of r.items) for (const s of it.segments) if (s.image) seen.add(s.image.pixels.data);
  return [...seen];
}

/** A share `fraction` of each batch from the user's images, the rest what the tokenizer trains on without
 *  them (the world's tiles as mosaics for the 'patch' architecture, else scenes and emoji); the codebook is
 *  initialised from those and the first 32 own images. */
function ownImageSource(own: Uint8Array[], fraction: number, model: Vqvae, seed: number) {
  const { emojiFraction } = DEFAULT_TRAIN_IMAGE;
  const bank = model.config.arch === 'patch' ? patchTrainingData(seed, emojiFraction) : null;
  const world: ImageSource = bank?.source ?? sceneEmojiSource(seed, emojiFraction, 64);
  const rng = new Rng(seed + 17);
  const source: ImageSource = {
    batch(n: number): Uint8Array[] {
      const out = world.batch(n);
      for (let i = 0; i < n; i++) if (rng.next() < fraction) out[i] = own[rng.int(own.length)];
      return out;
    },
  };
  return { source, initImages: bank ? [...bank.initImages, ...own.slice(0, 32)] : undefined };
}

/** `--data-fraction`: a fraction in (0, 1]. */
function fractionOption(v: string): number {
  const f = Number(v);
  if (v.trim() === '' || !(f > 0 && f <= 1)) throw new Error(`--data-fraction must be a number in (0, 1], got ${v}`);
  return f;
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
    .option('--data <manifest>', "also train on your own images: a JSONL manifest's (docs/data.md)")
    .option('--data-fraction <f>', 'with --data: the share of each batch from your images', fractionOption, 0.5)
    .action(
      (o: {
        steps: number;
        batch: number;
        seed: number;
        out: string;
        config: string;
        preset: string;
        eval: number;
        data?: string;
        dataFraction: number;
      }) => {
        const config = makeVqvaeConfig(JSON.parse(o.config) as Record<string, unknown>, o.preset);
        if (o.data && config.imageSize !== 64)
          throw new Error(`--data: manifest images are fitted to 64x64; this config's images are ${config.imageSize}`);
        const own = o.data ? manifestImages(o.data) : null;
        if (own)
          console.log(
            `${own.length} images of ${o.data}, ${Math.round(o.dataFraction * 100)}% of each batch; NOTE: a new image tokenizer has new codes, so a model must be trained again from scratch with it`,
          );
        const model = new Vqvae(config, o.seed);
        console.log(
          `backend ${kernels().info().backend}, ${model.params.count()} weights + codebook ${config.codebookSize}x${config.codeDim}, ${o.steps} steps of ${o.batch}`,
        );
        const last = trainVqvae(model, {
          steps: o.steps,
          batch: o.batch,
          seed: o.seed,
          ...(own ? ownImageSource(own, o.dataFraction, model, o.seed) : {}),
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
