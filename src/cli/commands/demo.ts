// `tessera demo`: the README's main job. Loads the shipped model (models/tessera-default) — or, when it is
// missing, trains a small one for a minute — then draws 4 variants for two prompts, performs an edit and a
// 3-turn edit session, writes the images to demo-out/, and has the verifier (never the model) judge each.
// Its four images have fixed names; as everywhere in the CLI (../output.ts), files that already exist are
// refused before anything runs unless --force is given.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  encodePng,
  makeWorldItem,
  preservation,
  type RgbImage,
  renderScene,
  sampleChain,
  sampleScene,
  upscale,
  verifyImage,
} from '../../data/index.js';
import { editImage, generateImages, Session } from '../../infer/index.js';
import { defaultModelDir, loadModel } from '../../model/index.js';
import { kernels, Rng } from '../../tensor/index.js';
import { defaultImageTokenizerDir, sampleScenes, Vqvae } from '../../tokenizers/index.js';
import { Trainer, trainConfig } from '../../train/index.js';
import { checkWritable, writeOutput } from '../output.js';

/** The demo's images, in its --out folder. */
const DEMO_FILES = ['t2i-0.png', 't2i-1.png', 'edit.png', 'session.png'];

/** Images side by side (same size), with a 2 px gray gap, scaled up for viewing. */
function strip(images: readonly RgbImage[], scale = 4): RgbImage {
  const w = images[0].width;
  const h = images[0].height;
  const gap = 2;
  const W = images.length * (w + gap) - gap;
  const data = new Uint8Array(W * h * 3).fill(128);
  images.forEach((img, k) => {
    for (let y = 0; y < h; y++) data.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), (y * W + k * (w + gap)) * 3);
  });
  return upscale({ width: W, height: h, data }, scale);
}

function loadOrTrain(dir: string, seconds: number) {
  if (existsSync(join(dir, 'config.json'))) {
    console.log(`model: ${dir}`);
    return loadModel(dir);
  }
  console.log(`model: ${dir} not found; training the default preset for ${seconds} s instead (expect rough images)`);
  const trainer = Trainer.create(trainConfig({ evalEvery: 0, ckptEvery: 0 }, 'default'));
  const t0 = performance.now();
  let steps = 0;
  while ((performance.now() - t0) / 1000 < seconds) {
    trainer.trainStep();
    steps++;
  }
  console.log(`  trained ${steps} steps`);
  return { model: trainer.model, tok: trainer.tok };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate and edit images with the shipped model; the verifier judges every result')
    .option('--model <dir>', 'model checkpoint directory', defaultModelDir())
    .option('--out <dir>', 'where the images go', 'demo-out')
    .option('--seed <n>', 'seed of the prompts and the variants', '1')
    .option('--train-seconds <s>', 'training time when no model is found', '60')
    .option('--force', 'replace the images of an earlier demo in --out')
    .action((o: { model: string; out: string; seed: string; trainSeconds: string; force?: boolean }) => {
      const seed = Number(o.seed);
      for (const f of DEMO_FILES) checkWritable(join(o.out, f), o.force);
      const writePng = (path: string, img: RgbImage) => writeOutput(path, encodePng(img), o.force);
      const info = kernels().info();
      console.log(`backend: ${info.backend} (${info.blas}, ${info.threads} threads)`);

      // 1. The image tokenizer: held-out scenes to 64 codes and back, judged by the verifier.
      const vq = Vqvae.load(defaultImageTokenizerDir());
      const scenes = sampleScenes(8, seed, 'heldout');
      const back = vq.decode(vq.encode(scenes.map((s) => s.pixels)));
      const exact = scenes.filter((s, i) => verifyImage(s.scene, { width: 64, height: 64, data: back[i] }).ok).length;
      console.log(`image tokenizer: ${exact}/${scenes.length} held-out scenes come back exactly (8x8 = 64 codes each)`);

      // 2. Text to image: for each of two prompts (a trained combination and a held-out one), 16 drawings,
      // of which the 4 the model itself reads most as the prompt are kept (infer/reading.ts).
      const { model, tok } = loadOrTrain(o.model, Number(o.trainSeconds));
      for (const [k, split] of (['train', 'heldout'] as const).entries()) {
        const item = makeWorldItem('t2i', split, seed, k);
        const prompt = item.segments[0].text!;
        const want = item.segments.find((s) => s.check?.type === 'scene')!.check!;
        const t0 = performance.now();
        const imgs = generateImages(model, tok, prompt, { n: 4, candidates: 16, seed: seed + k });
        const ms = performance.now() - t0;
        const ok = want.type === 'scene' ? imgs.map((im) => verifyImage(want.scene, im).ok) : [];
        const path = join(o.out, `t2i-${k}.png`);
        writePng(path, strip(imgs));
        console.log(
          `"${prompt}" (${split} combination): ${ok.filter(Boolean).length}/4 variants verified correct (the best 4 of 16 by the model's own reading), ${ms.toFixed(0)} ms -> ${path}`,
        );
      }

      // 3. An edit: what was asked changes, the rest stays.
      const edit = makeWorldItem('edit', 'heldout', seed, 0);
      const input = edit.segments[0].image!.pixels;
      const instruction = edit.segments[1].text!;
      const check = edit.segments[2].check!;
      const t0 = performance.now();
      const [out] = editImage(model, tok, input, instruction, { seed });
      const ms = performance.now() - t0;
      if (check.type === 'edit') {
        const v = verifyImage(check.scene, out);
        const kept = preservation(input, out, check.regions);
        const path = join(o.out, 'edit.png');
        writePng(path, strip([input, out, renderScene(check.scene)]));
        console.log(
          `edit "${instruction}": ${v.ok ? 'verified correct' : `not correct (${v.mismatches.map((m) => m.kind).join(', ')})`}, ` +
            `${(100 * kept).toFixed(1)}% of pixels outside the edit kept, ${ms.toFixed(0)} ms -> ${path} (input | output | target)`,
        );
      }

      // 4. A 3-turn session: each turn edits the model's own last image (the KV cache carries over).
      const chainRng = Rng.world(seed).fork(7);
      const start = sampleScene(chainRng, 'train');
      const steps = sampleChain(chainRng, start, 'train', 3);
      const session = new Session('demo', seed);
      const images = [renderScene(start)];
      const verdicts: string[] = [];
      const s0 = performance.now();
      steps.forEach((st, k) => {
        const t = session.addTurn(
          { model, tok },
          k === 0 ? { image: images[0], text: st.instruction } : { text: st.instruction },
          { mode: 'image' },
        );
        const drawn = t.output.find((x) => x.kind === 'image');
        const img = drawn?.kind === 'image' ? drawn.image : images[images.length - 1];
        verdicts.push(`"${st.instruction}" ${verifyImage(st.after, img).ok ? 'right' : 'wrong'}`);
        images.push(img);
      });
      const path = join(o.out, 'session.png');
      writePng(path, strip(images));
      console.log(
        `session of ${steps.length} turns (${(performance.now() - s0).toFixed(0)} ms): ${verdicts.join('; ')} -> ${path}`,
      );
    });
}
