// `tessera generate "PROMPT" -n 4 -o DIR` (variants decoded as one batch) and `tessera edit IN.png
// "INSTRUCTION" -o OUT.png`, with the shipped model by default. Square PNGs of another size are
// box-filtered to the model's size (a note on stderr); anything else is refused with the reason.
// The prompt goes through the prompt reader (data/world/prompt.ts): its notices go to stderr and, when it
// parses completely, the model gets the trained phrasing instead (--raw-prompt keeps the user's text).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { promptForModel, writePng } from '../../data/index.js';
import { DEFAULT_GUIDANCE, editImage, generateImages } from '../../infer/index.js';
import { defaultModelDir, loadModel } from '../../model/index.js';
import { readImageFile } from '../../tokenizers/index.js';
import { intOption, nonNegativeOption, probabilityOption } from '../options.js';
import { streamProgress } from '../progress.js';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('draw images for a prompt (variants decoded as one batch)')
    .argument('<prompt>', 'what to draw, e.g. "a large red circle at the top left on a white background"')
    .option('-n <n>', 'variants', intOption('n', 1, 64), 4)
    .option('-o, --out <dir>', 'output folder', 'out')
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
    .action(
      (
        prompt: string,
        o: {
          n: number;
          out: string;
          model?: string;
          guidance: number;
          temperature: number;
          topK: number;
          topP: number;
          seed: number;
          rawPrompt?: boolean;
        },
      ) => {
        const text = o.rawPrompt ? prompt : canonicalPrompt(prompt);
        const { model, tok } = loadModel(o.model ?? defaultModelDir());
        const t0 = performance.now();
        const imgs = generateImages(model, tok, text, {
          n: o.n,
          guidance: o.guidance,
          temperature: o.temperature,
          topK: o.topK,
          topP: o.topP,
          seed: o.seed,
          onProgress: streamProgress(`drawing ${o.n}`),
        });
        const ms = performance.now() - t0;
        mkdirSync(o.out, { recursive: true });
        imgs.forEach((img, i) => {
          const path = join(o.out, `variant-${i}.png`);
          writePng(path, img);
          console.log(path);
        });
        console.error(`${o.n} variant${o.n > 1 ? 's' : ''} in ${ms.toFixed(0)} ms`);
      },
    );

  program
    .command('edit')
    .description('edit an image by an instruction')
    .argument('<image>', 'input PNG (square; other sizes are box-filtered to the model size)')
    .argument('<instruction>', 'what to change, e.g. "make the circle blue"')
    .requiredOption('-o, --out <file>', 'output PNG')
    .option('--model <dir>', 'model checkpoint (default: the shipped model)')
    .option('--seed <s>', 'seed', intOption('seed', 0), 0)
    .option('--guidance <s>', 'guidance scale on the instruction', nonNegativeOption('guidance'), DEFAULT_GUIDANCE)
    .option(
      '--image-guidance <s>',
      'guidance scale on the input image (1 = off)',
      nonNegativeOption('image-guidance'),
      1,
    )
    .action(
      (
        input: string,
        instruction: string,
        o: { out: string; model?: string; seed: number; guidance: number; imageGuidance: number },
      ) => {
        const { model, tok } = loadModel(o.model ?? defaultModelDir());
        const size = tok.image.imageSize;
        const { pixels, note } = readImageFile(input, size);
        if (note) console.error(note);
        const t0 = performance.now();
        const [out] = editImage(model, tok, { width: size, height: size, data: pixels }, instruction, {
          seed: o.seed,
          guidance: o.guidance,
          imageGuidance: o.imageGuidance,
          onProgress: streamProgress('editing'),
        });
        mkdirSync(dirname(o.out), { recursive: true });
        writePng(o.out, out);
        console.log(o.out);
        console.error(`edited in ${(performance.now() - t0).toFixed(0)} ms`);
      },
    );
}

/** The text the model gets for a user's prompt; notices and a rewrite are said on stderr. */
function canonicalPrompt(prompt: string): string {
  const p = promptForModel(prompt);
  for (const n of p.notices) console.error(`note: ${n}`);
  if (p.canonicalized) console.error(`prompt sent in the trained phrasing: "${p.text}" (--raw-prompt to keep yours)`);
  return p.text;
}
