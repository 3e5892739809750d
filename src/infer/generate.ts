// Text-to-image and instruction editing on top of the one sampler (sample.ts): a request becomes user
// segments of the one sequence format, the prompt ends with <|model|><|image|> so the model draws an image
// now (all variants decode as one batch). The unconditional branch of guidance is the same prompt with the
// user's text dropped; an edit keeps its input image there. Edits can add an image scale (two-scale
// guidance, as InstructPix2Pix does): a third branch with neither image nor text, and
// logits = bare + s_I (image - bare) + s_T (image+text - image), so s_I > 1 pulls toward the input.
import { type RgbImage, type Segment, type TaskItem, userImage, userText } from '../data/index.js';
import type { MultimodalModel } from '../model/index.js';
import { buildSequence, specialIds, type Tokenizers } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import { rankByReading, readingText } from './reading.js';
import { DEFAULT_GUIDANCE, type Prompt, type SampleOptions, sampleImages } from './sample.js';

/** A request the model cannot take as given (an empty prompt, an image of another size, n out of range, a
 *  turn with nothing in it, an input longer than the context): the caller's input, not a failure inside. */
export class RequestInputError extends Error {
  override name = 'RequestInputError';
}

export interface GenerateOptions {
  /** How many variants (each from its own seed). Default 1. */
  n?: number;
  /** Text-to-image: draw this many candidates (>= n, at most 64) and return the n the model itself reads
   *  most as the prompt, best first (reading.ts). Default n: every drawing returned, in seed order. */
  candidates?: number;
  /** Classifier-free guidance scale on the text condition (default: DEFAULT_GUIDANCE, i.e. off). */
  guidance?: number;
  /** Edits: guidance scale on the input image (1 = off, the default; > 1 pulls toward the input). */
  imageGuidance?: number;
  /** 0 = greedy (then every variant is the same). Default 0.7. */
  temperature?: number;
  topK?: number;
  /** Nucleus sampling for the codes (1 = off). */
  topP?: number;
  seed?: number;
  /** Models with KEEP: lowers its logit (SampleOptions.keepBias). */
  keepBias?: number;
  /** Streaming progress (one call per code position, all variants at once). */
  onProgress?: SampleOptions['onProgress'];
}

/**
 * The prompt for a model turn after these segments: they, then <|model|>, and <|image|> too when the model
 * must draw now. dropText gives guidance's unconditional prompt. Used by generation, edits and sessions.
 */
export function turnPrompt(segments: Segment[], tok: Tokenizers, dropText: boolean, drawNow: boolean): Prompt {
  const item: TaskItem = { id: 'request', task: 't2i', split: 'train', segments };
  const built = buildSequence(item, tok, { dropText });
  const sp = specialIds(tok);
  const tail = drawNow ? [sp.model, sp.image] : [sp.model];
  return {
    ids: Int32Array.from([...built.ids, ...tail]),
    pos2d: Int32Array.from([...built.pos2d, ...tail.map(() => -1)]),
  };
}

/** The prompt for user segments, ending with <|model|><|image|>. */
export function imagePrompt(segments: Segment[], tok: Tokenizers, dropText: boolean): Prompt {
  return turnPrompt(segments, tok, dropText, true);
}

/** Refuses an image the model cannot take (size and byte count), naming both sizes. */
export function checkModelImage(tok: Tokenizers, image: RgbImage): void {
  const s = tok.image.imageSize;
  if (image.width !== s || image.height !== s || image.data.length !== s * s * 3)
    throw new RequestInputError(`the image is ${image.width}x${image.height}, the model works on ${s}x${s} RGB images`);
}

/**
 * The codes of o.n drawings after these user segments: o.candidates of them drawn as one batch (seeds
 * o.seed * 1000 + v) and, when there are more than n, the n of lowest reading loss for `reading` (the
 * text they should read as; null where drawings are not read: edits), best first. What generateImages
 * and editImage decode, and what `tessera eval --candidates` judges.
 */
export function drawCodes(
  model: MultimodalModel,
  tok: Tokenizers,
  segments: Segment[],
  o: GenerateOptions,
  reading: string | null,
): Int32Array[] {
  const n = o.n ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RequestInputError(`n must be an integer in 1..64, got ${n}`);
  const k = o.candidates ?? n;
  if (!Number.isInteger(k) || k < n || k > 64)
    throw new RequestInputError(`candidates must be an integer in n..64 (n is ${n}), got ${k}`);
  if (k > n && reading === null) throw new RequestInputError('candidates are read against a text-to-image prompt');
  const so: SampleOptions = {
    guidance: o.guidance ?? DEFAULT_GUIDANCE,
    imageGuidance: o.imageGuidance ?? 1,
    temperature: o.temperature ?? 0.7,
    topK: o.topK ?? 0,
    topP: o.topP ?? 1,
    keepBias: o.keepBias,
    onProgress: o.onProgress,
  };
  // The unconditional and bare prompts only when guidance uses them.
  const guided = so.guidance !== 1 || so.imageGuidance !== 1;
  const cond = imagePrompt(segments, tok, false);
  const uncond = guided ? imagePrompt(segments, tok, true) : null;
  const bare =
    so.imageGuidance !== 1
      ? imagePrompt(
          segments.filter((x) => x.kind !== 'image'),
          tok,
          true,
        )
      : null;
  const rngs = Array.from({ length: k }, (_, v) => new Rng((o.seed ?? 0) * 1000 + v));
  const drawn = sampleImages(model, tok, cond, uncond, rngs, so, bare);
  if (k === n) return drawn;
  return rankByReading(model, tok, drawn, reading!)
    .slice(0, n)
    .map((r) => r.codes);
}

/** The images of code grids, as the tokenizer decodes them. */
export function decoded(tok: Tokenizers, codes: Int32Array[]): RgbImage[] {
  const size = tok.image.imageSize;
  return tok.image.decode(codes).map((data) => ({ width: size, height: size, data }));
}

/** Images for a text prompt. */
export function generateImages(
  model: MultimodalModel,
  tok: Tokenizers,
  prompt: string,
  o: GenerateOptions = {},
): RgbImage[] {
  if (prompt.trim() === '')
    throw new RequestInputError('the prompt is empty: say what to draw, e.g. "a red circle in the top left"');
  return decoded(tok, drawCodes(model, tok, [userText(prompt)], o, readingText(prompt)));
}

/** The input image edited by an instruction. The image must be the tokenizer's size. */
export function editImage(
  model: MultimodalModel,
  tok: Tokenizers,
  image: RgbImage,
  instruction: string,
  o: GenerateOptions = {},
): RgbImage[] {
  if (instruction.trim() === '')
    throw new RequestInputError('the instruction is empty: say what to change, e.g. "make the circle blue"');
  checkModelImage(tok, image);
  const segments = [userImage({ pixels: image }), userText(instruction)];
  return decoded(tok, drawCodes(model, tok, segments, { temperature: 0, ...o }, null));
}
