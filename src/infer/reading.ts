// Understanding checks generation: the model reads its own drawings back, and the drawing it reads as the
// prompt ranks first. Each candidate's score is the model's teacher-forced loss (nats a token) of the
// prompt's scene as the caption of that drawing ("describe the image." then the caption, the caption task's
// own format). The text is the same for every candidate of a prompt, so ranking by this loss is ranking by
// the pointwise mutual information of prompt and drawing. Generation samples from p(image | text), which
// redraws a held-out colour-shape pair as a trained one; reading scores p(text | image), a second opinion
// learned on other items (captions, questions), and the two disagree exactly where generation fails
// (docs/model.md, "The model reads its own outputs back"). No verifier, renderer or parser of images is used.
//
// The mirror for captions (describeImage): candidate captions sampled from p(text | image) are ranked by
// their total loss both ways, reading plus drawing, -log p(caption | image) - log p(image | "draw caption"):
// the noisy-channel reranking of translation (Yee et al. 2019), with the model's generation as the channel.
import {
  caption,
  type ImageRef,
  modelImage,
  modelText,
  parsePrompt,
  type TaskItem,
  userImage,
  userText,
} from '../data/index.js';
import type { MultimodalModel, Tokenizers } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import { itemLosses } from '../train/own-eval.js';
import { turnPrompt } from './generate.js';
import { sampleTurn } from './sample.js';

/** The request the caption task was trained on. */
export const DESCRIBE = 'describe the image.';

/** The caption a drawing of this prompt should read as: the parsed scene's caption when the prompt
 *  parses completely, else the prompt itself less a leading "draw" and a final full stop. */
export function readingText(prompt: string): string {
  const p = parsePrompt(prompt);
  if (p.complete && p.scene) return caption(p.scene);
  return prompt
    .trim()
    .replace(/^draw\s+/i, '')
    .replace(/\.$/, '');
}

/** An item of the caption task: the image, "describe the image.", and `text` as the model's caption. */
function captionItem(image: ImageRef, text: string, i: number): TaskItem {
  return {
    id: `reading-${i}`,
    task: 'caption',
    split: 'heldout',
    segments: [userImage(image), userText(DESCRIBE), modelText(text)],
  };
}

/** Indices of `losses`, lowest first (ties keep their order). */
function byLoss(losses: readonly number[]): number[] {
  return losses.map((_, i) => i).sort((a, b) => losses[a] - losses[b] || a - b);
}

/** Each drawing's reading loss for `text` (lower reads more like it), in order. Codes go in as drawn. */
export function readingLosses(
  model: MultimodalModel,
  tok: Tokenizers,
  drawings: readonly Int32Array[],
  text: string,
): number[] {
  const size = tok.image.imageSize;
  const pixels = tok.image.decode([...drawings]);
  const items = drawings.map((codes, i) =>
    captionItem({ pixels: { width: size, height: size, data: pixels[i] }, codes }, text, i),
  );
  return itemLosses(model, tok, items);
}

/** The drawings ordered by their reading loss for `text`, best first (ties keep the drawing order). */
export function rankByReading(
  model: MultimodalModel,
  tok: Tokenizers,
  drawings: readonly Int32Array[],
  text: string,
): { codes: Int32Array; loss: number; index: number }[] {
  const losses = readingLosses(model, tok, drawings, text);
  return byLoss(losses).map((index) => ({ codes: drawings[index], loss: losses[index], index }));
}

export interface DescribeOptions {
  /** How many captions to sample and rank (1: the greedy caption alone). Default 16. */
  candidates?: number;
  /** The temperature of every candidate after the first, which is greedy. Default 1. */
  temperature?: number;
  seed?: number;
}

/** Total loss of each caption both ways for this image: reading (caption | image) plus drawing (image |
 *  "draw " + caption), in order. Lower is a caption the model both reads in the image and would draw. */
export function captionLosses(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  captions: readonly string[],
): number[] {
  const read = itemLosses(
    model,
    tok,
    captions.map((c, i) => captionItem(image, c, i)),
    8,
    'sum',
  );
  const drawItem = (c: string, i: number): TaskItem => ({
    id: `drawing-${i}`,
    task: 't2i',
    split: 'heldout',
    segments: [userText(`draw ${c}`), modelImage(image)],
  });
  const draw = itemLosses(model, tok, captions.map(drawItem), 8, 'sum');
  return read.map((r, i) => r + draw[i]);
}

/** A caption of the image: the greedy one and candidates - 1 sampled ones (distinct), the one with the
 *  lowest caption loss both ways first (captionLosses). */
export function describeImage(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  o: DescribeOptions = {},
): { caption: string; ranked: { caption: string; loss: number }[] } {
  const k = o.candidates ?? 16;
  if (!Number.isInteger(k) || k < 1 || k > 64) throw new RangeError(`candidates must be an integer in 1..64, got ${k}`);
  const prompt = turnPrompt([userImage(image), userText(DESCRIBE)], tok, false, false);
  const text = (r: ReturnType<typeof sampleTurn>) =>
    r.segments.flatMap((s) => (s.kind === 'text' ? [s.text] : [])).join('');
  const seen = new Set<string>();
  for (let v = 0; v < k; v++) {
    const rng = new Rng((o.seed ?? 0) * 1000 + v);
    const temperature = v === 0 ? 0 : (o.temperature ?? 1);
    seen.add(text(sampleTurn(model, tok, prompt, null, { temperature, rng, onImage: 'forbid' })).trim());
  }
  const captions = [...seen];
  const losses = k > 1 ? captionLosses(model, tok, image, captions) : [0];
  const ranked = byLoss(losses).map((i) => ({ caption: captions[i], loss: losses[i] }));
  return { caption: ranked[0].caption, ranked };
}
