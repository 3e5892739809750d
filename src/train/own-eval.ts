// Scores of a model on a set of items without training on them: the teacher-forced loss of what the model
// produces (text answers, image codes), and a caption-match score (does the model find each image's own
// caption among all the captions of the set?). Used to measure fine-tuning on a user's own data, and the
// world's items beside them (so forgetting shows), and the image tokenizer's fit to the user's images.
import { modelText, type RgbImage, type TaskItem, userImage, userText } from '../data/index.js';
import type { MultimodalModel, Tokenizers } from '../model/index.js';
import { noGrad, Rng, tidy } from '../tensor/index.js';
import { psnr, sampleScenes } from '../tokenizers/index.js';
import { keepTargets, makeBatch } from './batch.js';
import { GENERATION_TASKS } from './mixture.js';

/** Each item's mean loss over its produced tokens (nats a token), in order; teacher-forced, no dropout. */
export function itemLosses(
  model: MultimodalModel,
  tok: Tokenizers,
  items: readonly TaskItem[],
  batch = 8,
  /** 'sum': each item's total loss instead (nats an item). */
  per: 'token' | 'sum' = 'token',
): number[] {
  const out: number[] = [];
  const rng = new Rng(0);
  for (let i = 0; i < items.length; i += batch) {
    const chunk = items.slice(i, i + batch);
    const b = makeBatch(chunk, tok, model.config.blockSize, 0, rng);
    const rowLoss = new Float32Array(b.B * b.T);
    noGrad(() =>
      tidy(() => {
        const { targets, keepable } = keepTargets(b, model.config.textVocabSize, model.codesPerImage, model.keepId);
        model.lossFrom(model.hidden(b.ids, b.pos2d, b.B, b.T), targets, null, rowLoss, keepable);
      }),
    );
    for (let r = 0; r < b.B; r++) {
      let num = 0;
      let den = 0;
      for (let t = 0; t < b.T; t++)
        if (b.targets[r * b.T + t] >= 0) {
          num += rowLoss[r * b.T + t];
          den += 1;
        }
      out.push(per === 'sum' ? num : den > 0 ? num / den : 0);
    }
  }
  return out;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export interface ItemScores {
  n: number;
  /** Mean over items of each item's token-mean loss; over understanding items (text answers) and
   *  generation items (image codes) alone. */
  loss: number | null;
  textLoss: number | null;
  imageLoss: number | null;
  /** Caption items: the fraction whose own caption has the lowest loss among all captions of the set (chance
   *  is 1 / the number of captions); null with fewer than 2 captions. */
  captionMatch: number | null;
  captions: number;
}

/** Caption-match: every (image, caption) pair of the first `most` caption items is scored by its caption loss. */
function captionMatch(model: MultimodalModel, tok: Tokenizers, items: readonly TaskItem[], most: number) {
  const caps = items.filter((it) => it.task === 'caption').slice(0, most);
  if (caps.length < 2) return { score: null, n: caps.length };
  const images = caps.map((it) => it.segments[0].image!.pixels as RgbImage);
  const texts = caps.map((it) => it.segments[2].text!);
  const pairs: TaskItem[] = [];
  for (const px of images)
    for (const t of texts)
      pairs.push({
        id: 'pair',
        task: 'caption',
        split: 'heldout',
        segments: [userImage({ pixels: px }), userText('describe the image.'), modelText(t)],
      });
  const l = itemLosses(model, tok, pairs);
  let hits = 0;
  for (let i = 0; i < caps.length; i++) {
    const row = l.slice(i * caps.length, (i + 1) * caps.length);
    if (row.indexOf(Math.min(...row)) === i) hits++;
  }
  return { score: hits / caps.length, n: caps.length };
}

/** Loss and caption-match of a model on a set of items. */
export function scoreItems(
  model: MultimodalModel,
  tok: Tokenizers,
  items: readonly TaskItem[],
  o: { captionMatchMost?: number } = {},
): ItemScores {
  const l = itemLosses(model, tok, items);
  const gen = items.map((it) => GENERATION_TASKS.includes(it.task));
  const cm = captionMatch(model, tok, items, o.captionMatchMost ?? 24);
  return {
    n: items.length,
    loss: mean(l),
    textLoss: mean(l.filter((_, i) => !gen[i])),
    imageLoss: mean(l.filter((_, i) => gen[i])),
    captionMatch: cm.score,
    captions: cm.n,
  };
}

export interface ImageFit {
  /** Mean PSNR (dB) of the image tokenizer's reconstructions: the user's images and fresh world scenes. */
  own: { n: number; psnr: number };
  world: { n: number; psnr: number };
}

/** How well the image tokenizer reconstructs the user's images, beside the world's (what it was trained on). */
export function imageFit(tok: Tokenizers, items: readonly TaskItem[], nWorld = 64): ImageFit {
  const seen = new Set<Uint8Array>();
  const own: Uint8Array[] = [];
  for (const it of items)
    for (const s of it.segments)
      if (s.image && !seen.has(s.image.pixels.data)) {
        seen.add(s.image.pixels.data);
        own.push(s.image.pixels.data);
      }
  const world = sampleScenes(nWorld, 4321, 'train').map((s) => s.pixels);
  const fit = (imgs: Uint8Array[]) => {
    const rec = tok.image.decode(tok.image.encode(imgs));
    return imgs.reduce((a, x, i) => a + psnr(x, rec[i]), 0) / Math.max(1, imgs.length);
  };
  return { own: { n: own.length, psnr: fit(own) }, world: { n: world.length, psnr: fit(world) } };
}
