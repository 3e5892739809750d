// `tessera generate "PROMPT" -n 4 -o DIR` (variants decoded as one batch) and `tessera edit IN.png
// "INSTRUCTION" -o OUT.png`, with the shipped model by default. Square PNGs of another size are
// box-filtered to the model's size (a note on stderr); anything else is refused with the reason.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { writePng } from '../../data/index.js';
import { editImage, generateImages } from '../../infer/generate.js';
import { defaultModelDir, loadModel } from '../../model/checkpoint.js';
import { readImageFile } from '../../tokenizers/index.js';

function positiveInt(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer in 1..${max}, got ${v}`);
  return n;
}

function number(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got ${v}`);
  return n;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('draw images for a prompt (variants decoded as one batch)')
    .argument('<prompt>', 'what to draw, e.g. "a large red circle at the top left on a white background"')
    .option('-n <n>', 'variants', '4')
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--model <dir>', 'model checkpoint (default: the shipped model)')
    .option('--guidance <s>', 'classifier-free guidance scale', '3')
    .option('--temperature <t>', '0 = greedy', '0.7')
    .option('--seed <s>', 'seed of the variants', '0')
    .action(
      (
        prompt: string,
        o: { n: string; out: string; model?: string; guidance: string; temperature: string; seed: string },
      ) => {
        const n = positiveInt('n', o.n, 64);
        const { model, tok } = loadModel(o.model ?? defaultModelDir());
        const t0 = performance.now();
        const imgs = generateImages(model, tok, prompt, {
          n,
          guidance: number('guidance', o.guidance),
          temperature: number('temperature', o.temperature),
          seed: Number.parseInt(o.seed, 10) || 0,
        });
        const ms = performance.now() - t0;
        mkdirSync(o.out, { recursive: true });
        imgs.forEach((img, i) => {
          const path = join(o.out, `variant-${i}.png`);
          writePng(path, img);
          console.log(path);
        });
        console.error(`${n} variant${n > 1 ? 's' : ''} in ${ms.toFixed(0)} ms`);
      },
    );

  program
    .command('edit')
    .description('edit an image by an instruction')
    .argument('<image>', 'input PNG (square; other sizes are box-filtered to the model size)')
    .argument('<instruction>', 'what to change, e.g. "make the circle blue"')
    .requiredOption('-o, --out <file>', 'output PNG')
    .option('--model <dir>', 'model checkpoint (default: the shipped model)')
    .option('--seed <s>', 'seed', '0')
    .action((input: string, instruction: string, o: { out: string; model?: string; seed: string }) => {
      const { model, tok } = loadModel(o.model ?? defaultModelDir());
      const size = tok.image.imageSize;
      const { pixels, note } = readImageFile(input, size);
      if (note) console.error(note);
      const t0 = performance.now();
      const [out] = editImage(model, tok, { width: size, height: size, data: pixels }, instruction, {
        seed: Number.parseInt(o.seed, 10) || 0,
      });
      mkdirSync(dirname(o.out), { recursive: true });
      writePng(o.out, out);
      console.log(o.out);
      console.error(`edited in ${(performance.now() - t0).toFixed(0)} ms`);
    });
}
