// `tessera generate "PROMPT" [-n 4] [-o DIR]` (variants decoded as one batch) and `tessera edit IN.png
// "INSTRUCTION" [-o OUT.png]`, with the shipped model by default. Outputs follow the CLI's one rule
// (../output.ts): with no -o, out/variant-N.png and out/edit-N.png numbered after the files already there;
// a named -o file that exists is refused unless --force. `--scale K` writes nearest-neighbour upscales;
// `--json` prints one JSON object (the request, the model, and each image as base64 PNG) instead of
// writing files. Square PNGs of another size are box-filtered to the model's size (a note on stderr);
// anything else is refused with the reason. The prompt goes through the prompt reader (data/world/prompt.ts):
// its notices go to stderr and, when it parses completely, the model gets the trained phrasing instead
// (--raw-prompt keeps the user's text).
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { encodePngAt, promptForModel, type RgbImage } from '../../data/index.js';
import { DEFAULT_GUIDANCE, DEFAULT_KEEP_BIAS, editImage, generateImages } from '../../infer/index.js';
import { defaultModelDir, loadModel } from '../../model/index.js';
import { readImageFile } from '../../tokenizers/index.js';
import { intOption, nonNegativeOption, numberOption, probabilityOption, scaleOption } from '../options.js';
import { checkWritable, DEFAULT_OUT_DIR, numberedPaths, writeOutput } from '../output.js';
import { streamProgress } from '../progress.js';

/** An image of a --json answer: its PNG (upscaled by --scale) as base64, and the PNG's size. */
export interface JsonImage {
  width: number;
  height: number;
  png: string;
}

/** The --json answer of generate and edit: what was asked, of which model, and the images. */
export function jsonAnswer(
  request: Record<string, unknown>,
  modelDir: string,
  options: Record<string, unknown>,
  images: readonly RgbImage[],
  scale: number,
): Record<string, unknown> {
  return {
    ...request,
    model: basename(resolve(modelDir)),
    modelDir,
    seed: options.seed,
    options,
    images: images.map(
      (img): JsonImage => ({
        width: img.width * scale,
        height: img.height * scale,
        png: encodePngAt(img, scale).toString('base64'),
      }),
    ),
  };
}

/** Writes the images (upscaled by scale) to their paths, printing each path on stdout. */
function writeImages(images: readonly RgbImage[], paths: readonly string[], scale: number, force: boolean): void {
  images.forEach((img, i) => {
    writeOutput(paths[i], encodePngAt(img, scale), force);
    console.log(paths[i]);
  });
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('draw images for a prompt (variants decoded as one batch)')
    .argument('<prompt>', 'what to draw, e.g. "a large red circle at the top left on a white background"')
    .option('-n <n>', 'variants', intOption('n', 1, 64), 4)
    .option(
      '--candidates <k>',
      'draw k (n..64) and keep the n the model reads back most as the prompt, best first (default: n, no ranking)',
      intOption('candidates', 1, 64),
    )
    .option('-o, --out <dir>', 'output folder: DIR/variant-N.png, numbered after the files there', DEFAULT_OUT_DIR)
    .option('--model <dir>', 'model checkpoint (default: the shipped model)')
    .option('--guidance <s>', 'classifier-free guidance scale', nonNegativeOption('guidance'), DEFAULT_GUIDANCE)
    .option('--temperature <t>', '0 = greedy', nonNegativeOption('temperature'), 0.7)
    .option('--top-k <k>', 'sample among the k most likely codes (0 = all)', intOption('top-k', 0), 0)
    .option(
      '--top-p <p>',
      'nucleus sampling: the most likely codes reaching probability p (1 = all)',
      probabilityOption('top-p'),
      1,
    )
    .option('--seed <s>', 'seed of the variants', intOption('seed', 0), 0)
    .option('--raw-prompt', "send the prompt as written, not rewritten into the model's trained phrasing")
    .option('--scale <k>', 'write images upscaled k times, nearest neighbour (1, 2, 4, 8, 16)', scaleOption, 1)
    .option('--json', 'print one JSON object with the images as base64 PNG instead of writing files')
    .action(
      (
        prompt: string,
        o: {
          n: number;
          candidates?: number;
          out: string;
          model?: string;
          guidance: number;
          temperature: number;
          topK: number;
          topP: number;
          seed: number;
          scale: number;
          json?: boolean;
          rawPrompt?: boolean;
        },
      ) => {
        const text = o.rawPrompt ? prompt : canonicalPrompt(prompt);
        const modelDir = o.model ?? defaultModelDir();
        const { model, tok } = loadModel(modelDir);
        const options = {
          n: o.n,
          candidates: o.candidates ?? o.n,
          guidance: o.guidance,
          temperature: o.temperature,
          topK: o.topK,
          topP: o.topP,
          seed: o.seed,
          scale: o.scale,
        };
        const t0 = performance.now();
        const imgs = generateImages(model, tok, text, {
          ...options,
          onProgress: streamProgress(`drawing ${o.candidates ?? o.n}`),
        });
        const ms = performance.now() - t0;
        if (o.json) console.log(JSON.stringify(jsonAnswer({ prompt, sent: text }, modelDir, options, imgs, o.scale)));
        else writeImages(imgs, numberedPaths(o.out, 'variant', imgs.length), o.scale, false);
        console.error(
          `${o.n} variant${o.n > 1 ? 's' : ''}${o.candidates ? ` (the best of ${o.candidates} by the model's reading)` : ''} in ${ms.toFixed(0)} ms`,
        );
      },
    );

  program
    .command('edit')
    .description('edit an image by an instruction')
    .argument('<image>', 'input PNG (square; other sizes are box-filtered to the model size)')
    .argument('<instruction>', 'what to change, e.g. "make the circle blue"')
    .option('-o, --out <file>', `output PNG (default: ${DEFAULT_OUT_DIR}/edit-N.png, numbered after the files there)`)
    .option('--force', 'replace the -o file if it exists')
    .option('--model <dir>', 'model checkpoint (default: the shipped model)')
    .option('--seed <s>', 'seed', intOption('seed', 0), 0)
    .option('--guidance <s>', 'guidance scale on the instruction', nonNegativeOption('guidance'), DEFAULT_GUIDANCE)
    .option(
      '--image-guidance <s>',
      'guidance scale on the input image (1 = off)',
      nonNegativeOption('image-guidance'),
      1,
    )
    .option(
      '--keep-bias <b>',
      'models with KEEP: lowers its logit (> 0: redraw more, keep less)',
      numberOption('keep-bias'),
      DEFAULT_KEEP_BIAS,
    )
    .option('--scale <k>', 'write the image upscaled k times, nearest neighbour (1, 2, 4, 8, 16)', scaleOption, 1)
    .option('--json', 'print one JSON object with the image as base64 PNG instead of writing a file')
    .action(
      (
        input: string,
        instruction: string,
        o: {
          out?: string;
          force?: boolean;
          model?: string;
          seed: number;
          guidance: number;
          imageGuidance: number;
          keepBias: number;
          scale: number;
          json?: boolean;
        },
      ) => {
        // a named output that exists is refused before the model runs, not after
        if (o.out && !o.json) checkWritable(o.out, o.force);
        const modelDir = o.model ?? defaultModelDir();
        const { model, tok } = loadModel(modelDir);
        const size = tok.image.imageSize;
        const { pixels, note } = readImageFile(input, size);
        if (note) console.error(note);
        const options = {
          seed: o.seed,
          guidance: o.guidance,
          imageGuidance: o.imageGuidance,
          keepBias: o.keepBias,
          temperature: 0,
          scale: o.scale,
        };
        const t0 = performance.now();
        const out = editImage(model, tok, { width: size, height: size, data: pixels }, instruction, {
          ...options,
          onProgress: streamProgress('editing'),
        });
        if (o.json)
          console.log(JSON.stringify(jsonAnswer({ image: input, instruction }, modelDir, options, out, o.scale)));
        else writeImages(out, [o.out ?? numberedPaths(DEFAULT_OUT_DIR, 'edit', 1)[0]], o.scale, o.force ?? false);
        console.error(`edited in ${(performance.now() - t0).toFixed(0)} ms`);
      },
    );
}

/** The prompt the model gets: the reader's notices on stderr, and the trained phrasing when it parses. */
function canonicalPrompt(prompt: string): string {
  const p = promptForModel(prompt);
  for (const n of p.notices) console.error(`note: ${n}`);
  if (p.canonicalized) console.error(`prompt sent in the trained phrasing: "${p.text}" (--raw-prompt to keep yours)`);
  return p.text;
}
