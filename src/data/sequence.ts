// The one sequence format every task uses: a task item is a list of segments (role, text or image,
// whether the model is trained to produce it, and what the verifier needs to judge it), and a canonical
// text rendering with special markers. A tokenizer later maps text to BPE tokens and images to VQ codes.
import type { Split } from './world/sample.js';
import type { Rect, RgbImage, Scene } from './world/scene.js';

export type Role = 'user' | 'model';

/** Task kinds made from the scene world (tasks.ts), then those made from emoji. */
export const WORLD_TASKS = [
  'caption',
  'vqa',
  'ocr',
  't2i',
  'edit',
  'chain',
  'compound',
  'fact',
  'fact_t2i',
  'imagine',
  'letters_t2i',
  'letters_ocr',
  'plan',
  'ask',
] as const;
export const TASK_KINDS = [...WORLD_TASKS, 'emoji_caption', 'emoji_edit'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** World tasks that only train: signs of random letter strings, the text-only plan and questions in
 *  other phrasings (ask). Evaluation leaves
 *  them out (their held-out items are what the factor items and compound plans already measure), and so
 *  does the corpus a fresh run's text tokenizer is trained on (it stays what it was before them). */
export const TRAINING_AID_TASKS: readonly TaskKind[] = ['letters_t2i', 'letters_ocr', 'plan', 'ask'];

export interface ImageRef {
  pixels: RgbImage;
  /** The codes the image was drawn from (a model's output): the sequence builder uses them as they are
   *  instead of encoding the pixels again, so a session's context holds exactly what the model produced. */
  codes?: Int32Array;
  /** The scene drawn, for scene-world images. */
  scene?: Scene;
}

/** What the verifier needs to judge a model segment. */
export type Check =
  /** Exact answer text (after trimming and lower-casing). */
  | { type: 'text'; answer: string }
  /** The image must parse to this scene. */
  | { type: 'scene'; scene: Scene }
  /** The image must parse to `scene`, and pixels outside `regions` must match the previous image. */
  | { type: 'edit'; scene: Scene; regions: Rect[] }
  /** The plan must list these steps, in order. */
  | { type: 'plan'; steps: string[] };

export interface Segment {
  role: Role;
  kind: 'text' | 'image';
  text?: string;
  image?: ImageRef;
  /** True when the model is asked to produce this segment (loss is taken on it). */
  train: boolean;
  check?: Check;
}

export interface TaskItem {
  id: string;
  task: TaskKind;
  split: Split;
  segments: Segment[];
}

export const MARKERS = Object.freeze({
  user: '<|user|>',
  model: '<|model|>',
  image: '<|image|>',
  imageEnd: '<|/image|>',
  end: '<|end|>',
});

export function userText(text: string): Segment {
  return { role: 'user', kind: 'text', text, train: false };
}
export function userImage(image: ImageRef): Segment {
  return { role: 'user', kind: 'image', image, train: false };
}
export function modelText(text: string, check?: Check): Segment {
  return { role: 'model', kind: 'text', text, train: true, check };
}
export function modelImage(image: ImageRef, check?: Check): Segment {
  return { role: 'model', kind: 'image', image, train: true, check };
}

/**
 * The canonical text rendering. Consecutive segments of one role form a turn:
 * `<|user|>` content `<|end|>` `<|model|>` content `<|end|>` ...; an image is `<|image|>` body `<|/image|>`,
 * where the body is whatever `imageBody` returns (VQ codes for a tokenizer, `[image 1]` for people).
 * Text segments of one turn are joined by a newline.
 */
export function renderSequence(
  item: TaskItem,
  imageBody: (img: ImageRef, index: number) => string = (_, i) => `[image ${i + 1}]`,
): string {
  let out = '';
  let role: Role | null = null;
  let prevKind: Segment['kind'] | null = null;
  let images = 0;
  for (const seg of item.segments) {
    if (seg.role !== role) {
      if (role) out += MARKERS.end;
      out += seg.role === 'user' ? MARKERS.user : MARKERS.model;
      role = seg.role;
      prevKind = null;
    } else if (prevKind === 'text' && seg.kind === 'text') out += '\n';
    if (seg.kind === 'text') out += seg.text ?? '';
    else out += MARKERS.image + imageBody(seg.image!, images++) + MARKERS.imageEnd;
    prevKind = seg.kind;
  }
  if (role) out += MARKERS.end;
  return out;
}

/** Validates the structural rules of an item: texts have text, images have pixels, model segments exist. */
export function validateItem(item: TaskItem): string[] {
  const problems: string[] = [];
  if (item.segments.length === 0) problems.push(`${item.id}: no segments`);
  if (!item.segments.some((s) => s.role === 'model')) problems.push(`${item.id}: no model segment`);
  item.segments.forEach((s, i) => {
    if (s.kind === 'text' && typeof s.text !== 'string') problems.push(`${item.id}: segment ${i} text missing`);
    if (s.kind === 'image' && !s.image) problems.push(`${item.id}: segment ${i} image missing`);
    if (s.image && s.image.pixels.data.length !== s.image.pixels.width * s.image.pixels.height * 3)
      problems.push(`${item.id}: segment ${i} image has wrong byte count`);
    if (s.train !== (s.role === 'model')) problems.push(`${item.id}: segment ${i} train flag disagrees with role`);
  });
  return problems;
}
