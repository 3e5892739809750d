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
  OBJECT_COLORS,
  parsePrompt,
  SHAPES,
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

/** An item asking `question` of the image with `text` as the model's answer (by default the caption
 *  task's: "describe the image." and a caption). */
function captionItem(image: ImageRef, text: string, i: number, question = DESCRIBE): TaskItem {
  return {
    id: `reading-${i}`,
    task: question === DESCRIBE ? 'caption' : question === READ_SIGN ? 'ocr' : 'vqa',
    split: 'heldout',
    segments: [userImage(image), userText(question), modelText(text)],
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
  /** How many answers to sample and rank (1: the greedy answer alone). Default 16. */
  candidates?: number;
  /** The temperature of every candidate after the first, which is greedy. Default 1. */
  temperature?: number;
  seed?: number;
  /** Captions: rounds of refining the best caption one word at a time (captionNeighbours), each kept only
   *  if its loss both ways is lower. Default 3; 0 ranks the sampled captions alone. */
  refine?: number;
}

/** The question the ocr task was trained on. */
export const READ_SIGN = 'what does the sign say?';

/** Total loss of each answer to `question` about the image both ways: reading (answer | image, question)
 *  plus `drawWeight` times drawing (image | "draw " + the answer's drawing text), in order. */
function channelLosses(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  question: string,
  answers: readonly string[],
  drawn: readonly string[],
  drawWeight = 1,
): number[] {
  const read = itemLosses(
    model,
    tok,
    answers.map((a, i) => captionItem(image, a, i, question)),
    8,
    'sum',
  );
  const drawItem = (c: string, i: number): TaskItem => ({
    id: `drawing-${i}`,
    task: 't2i',
    split: 'heldout',
    segments: [userText(`draw ${c}`), modelImage(image)],
  });
  const draw = itemLosses(model, tok, drawn.map(drawItem), 8, 'sum');
  return read.map((r, i) => r + drawWeight * draw[i]);
}

/** The weight of drawing against reading when readSign ranks words. Reading alone prefers its own
 *  misspellings of held-out words (FROG read "froo"); on seed 1000's held-out sign questions (108) weight
 *  1 read 101 right, 2 to 8 read 105 (greedy 100); on seed 5000's (110), 1 to 4 all 110 (greedy 105). */
export const SIGN_DRAW_WEIGHT = 2;

/** Total loss of each caption both ways for this image: reading (caption | image) plus drawing (image |
 *  "draw " + caption), in order. Lower is a caption the model both reads in the image and would draw. */
export function captionLosses(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  captions: readonly string[],
): number[] {
  return channelLosses(model, tok, image, DESCRIBE, captions, captions);
}

/** The greedy answer to `question` and up to k - 1 sampled ones, distinct, in the order first drawn. */
function sampleAnswers(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  question: string,
  o: DescribeOptions,
): string[] {
  const k = o.candidates ?? 16;
  if (!Number.isInteger(k) || k < 1 || k > 64) throw new RangeError(`candidates must be an integer in 1..64, got ${k}`);
  const prompt = turnPrompt([userImage(image), userText(question)], tok, false, false);
  const text = (r: ReturnType<typeof sampleTurn>) =>
    r.segments.flatMap((s) => (s.kind === 'text' ? [s.text] : [])).join('');
  const seen = new Set<string>();
  for (let v = 0; v < k; v++) {
    const rng = new Rng((o.seed ?? 0) * 1000 + v);
    const temperature = v === 0 ? 0 : (o.temperature ?? 1);
    seen.add(text(sampleTurn(model, tok, prompt, null, { temperature, rng, onImage: 'forbid' })).trim());
  }
  return [...seen];
}

const SIGN = /a sign that says ([A-Z]+)/;

/**
 * The captions one word away from `c`: each object's shape ("a small red square") for each other shape,
 * its colour for each other object colour, and the sign's word for each of `words`. The words are the
 * caption language's own (the world's spec); which neighbour is better is for the model to say.
 */
export function captionNeighbours(c: string, words: readonly string[]): string[] {
  const w = c.split(' ');
  const out = new Set<string>();
  const swap = (j: number, x: string) => out.add([...w.slice(0, j), x, ...w.slice(j + 1)].join(' '));
  const shapes: readonly string[] = SHAPES;
  const colors: readonly string[] = OBJECT_COLORS;
  w.forEach((x, j) => {
    if (shapes.includes(x) && colors.includes(w[j - 1] ?? '')) {
      for (const s of shapes) if (s !== x) swap(j, s);
      for (const k of colors) if (k !== w[j - 1]) swap(j - 1, k);
    }
    if (w[j - 1] === 'says' && w[j - 2] === 'that') {
      const word = /^[A-Z]+/.exec(x)?.[0];
      if (word) for (const s of words) if (s !== word) swap(j, s + x.slice(word.length));
    }
  });
  out.delete(c);
  return [...out];
}

/** Indices of the lowest value (the first of ties). */
const argmin = (xs: readonly number[]) => xs.reduce((b, x, i) => (x < xs[b] ? i : b), 0);

/**
 * A caption of the image: the greedy one and candidates - 1 sampled ones (distinct), ranked by their loss
 * both ways (captionLosses); then the best is refined one word at a time: of its captionNeighbours (the
 * sign's word from the sampled captions' words and readSign's readings), the one of lowest loss replaces it while it is lower, for
 * up to `refine` rounds. Sampling rarely proposes the right shape of a held-out pair, but drawing judges it
 * well (docs/model.md, "The model reads its own outputs back"). `ranked` holds every caption scored.
 */
export function describeImage(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  o: DescribeOptions = {},
): { caption: string; ranked: { caption: string; loss: number }[] } {
  const captions = sampleAnswers(model, tok, image, DESCRIBE, o);
  if ((o.candidates ?? 16) === 1) return { caption: captions[0], ranked: [{ caption: captions[0], loss: 0 }] };
  const scored = new Map<string, number>();
  const score = (cs: string[]) => {
    const losses = captionLosses(model, tok, image, cs);
    for (const [i, c] of cs.entries()) scored.set(c, losses[i]);
  };
  score(captions);
  let best = captions[argmin(captions.map((c) => scored.get(c)!))];
  // the sign's word: the sampled captions' words and the words readSign reads (it reads held-out words
  // far better than captions spell them)
  const read = SIGN.test(best) ? readSign(model, tok, image, o).ranked.map((r) => r.word) : [];
  const words = [
    ...new Set([
      ...captions.flatMap((c) => SIGN.exec(c)?.[1] ?? []),
      ...read.filter((w) => /^[a-z]+$/.test(w)).map((w) => w.toUpperCase()),
    ]),
  ];
  for (let round = 0; round < (o.refine ?? 3); round++) {
    const next = captionNeighbours(best, words).filter((c) => !scored.has(c));
    if (next.length === 0) break;
    score(next);
    const top = next[argmin(next.map((c) => scored.get(c)!))];
    if (scored.get(top)! >= scored.get(best)!) break;
    best = top;
  }
  const all = [...scored.keys()];
  const losses = all.map((c) => scored.get(c)!);
  const ranked = byLoss(losses).map((i) => ({ caption: all[i], loss: losses[i] }));
  return { caption: ranked[0].caption, ranked };
}

/**
 * Whether the image has a sign, as the model reads it: its greedy caption names one ("a sign that says
 * ..."), or, when it names none, that caption with the sign `word` put in (the word readSign reads) scores
 * lower both ways than without it. Why: the sign question was trained on images with signs only, so asked
 * of one without, the model reads letters that are not there; its caption is what says there is none,
 * and the second test catches the captions that leave a real sign out (6% of held-out signs).
 */
export function hasSign(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  word: string,
  /** The image's greedy caption when the caller has it already (readSign's `described`). */
  c = greedyCaption(model, tok, image),
): boolean {
  if (SIGN.test(c)) return true;
  const p = parsePrompt(c);
  if (!p.complete || !p.scene || !/^[a-z]+$/i.test(word)) return false;
  const [withSign, without] = captionLosses(model, tok, image, [
    caption({ ...p.scene, sign: word.toUpperCase() }),
    caption({ ...p.scene, sign: null }),
  ]);
  return withSign < without;
}

/**
 * The word on the image's sign (the ocr task's answer, lower case): the greedy reading and candidates - 1
 * sampled ones, those of letters only ranked by their loss both ways (drawing weighted SIGN_DRAW_WEIGHT). The drawing is of the model's own
 * greedy caption with the sign's word put in ("a sign that says WORD" alone when the caption has no sign),
 * so a misspelt held-out word (ZEBRA read "zebrea") loses to the one whose glyphs the drawing expects.
 */
export function readSign(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  o: DescribeOptions = {},
): { word: string; ranked: { word: string; loss: number }[]; described?: string } {
  const sampled = sampleAnswers(model, tok, image, READ_SIGN, o);
  const words = sampled.filter((w, i) => i === 0 || /^[a-z]+$/.test(w));
  if (words.length === 1) return { word: words[0], ranked: [{ word: words[0], loss: 0 }] };
  const described = greedyCaption(model, tok, image);
  const withWord = (w: string) =>
    SIGN.test(described)
      ? described.replace(SIGN, `a sign that says ${w.toUpperCase()}`)
      : `a sign that says ${w.toUpperCase()}`;
  const losses = channelLosses(model, tok, image, READ_SIGN, words, words.map(withWord), SIGN_DRAW_WEIGHT);
  const ranked = byLoss(losses).map((i) => ({ word: words[i], loss: losses[i] }));
  return { word: ranked[0].word, ranked, described };
}

/** The model's greedy caption of the image. */
function greedyCaption(model: MultimodalModel, tok: Tokenizers, image: ImageRef): string {
  return sampleAnswers(model, tok, image, DESCRIBE, { candidates: 1 })[0];
}
