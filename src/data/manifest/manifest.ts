// A JSONL manifest for a user's own images: one JSON object a line, one of three kinds:
//   a captioned image   {"image": "a.png", "caption": "..."}
//   an edit pair        {"source": "a.png", "target": "b.png", "instruction": "..."}
//   a question/answer   {"image": "a.png", "question": "...", "answer": "..."}
// (each with an optional "split": "train" | "heldout"). The kind is told by its fields: any of source/target/
// instruction makes an edit line, any of question/answer a QA line, anything else a caption line.
// Paths are relative to the manifest and must stay inside its folder; every image is checked at the image
// boundary (size, structure, complete pixel data) before anything is decoded. Every line is validated first; problems come back as one list
// naming line and field, and nothing is loaded unless all lines are valid.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { checkPng, fitOnBackground, ImageInputError, readImageBytes, readPngRgba } from '../png.js';
import { modelImage, modelText, type TaskItem, userImage, userText } from '../sequence.js';
import type { RgbImage } from '../world/scene.js';
import { IMAGE_SIZE } from '../world/spec.js';

export type ManifestEntry =
  | { kind: 'caption'; line: number; image: string; caption: string; split: 'train' | 'heldout' }
  | { kind: 'edit'; line: number; source: string; target: string; instruction: string; split: 'train' | 'heldout' }
  | { kind: 'qa'; line: number; image: string; question: string; answer: string; split: 'train' | 'heldout' };

export interface ManifestProblem {
  line: number;
  field?: string;
  message: string;
}

export type ManifestResult = { ok: true; entries: ManifestEntry[] } | { ok: false; problems: ManifestProblem[] };

/** Bounds on a manifest (docs/limits.md); images have the image boundary's own. */
export const MANIFEST_LIMITS = Object.freeze({ maxBytes: 64 * 1024 * 1024, maxLines: 1_000_000, maxTextChars: 2000 });

const CAPTION_KEYS = ['image', 'caption', 'split'];
const EDIT_KEYS = ['source', 'target', 'instruction', 'split'];
const QA_KEYS = ['image', 'question', 'answer', 'split'];

type LineKind = ManifestEntry['kind'];

/** The kind of a line, from its fields (see the header). */
function lineKind(o: Record<string, unknown>): LineKind {
  if ('source' in o || 'target' in o || 'instruction' in o) return 'edit';
  if ('question' in o || 'answer' in o) return 'qa';
  return 'caption';
}

const KEYS: Record<LineKind, string[]> = { caption: CAPTION_KEYS, edit: EDIT_KEYS, qa: QA_KEYS };

function checkImageFile(base: string, rel: unknown, line: number, field: string, problems: ManifestProblem[]): string {
  if (typeof rel !== 'string' || rel.length === 0) {
    problems.push({ line, field, message: 'must be a non-empty string path' });
    return '';
  }
  // paths are relative to the manifest's folder and stay inside it
  const path = resolve(base, rel);
  const inside = relative(base, path);
  if (isAbsolute(rel) || inside.startsWith('..') || isAbsolute(inside)) {
    problems.push({
      line,
      field,
      message: `${rel} is outside the manifest's folder ${base}; paths are relative to it`,
    });
    return path;
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    problems.push({ line, field, message: `file not found: ${path}` });
    return path;
  }
  try {
    checkPng(readImageBytes(path), path);
  } catch (e) {
    problems.push({ line, field, message: e instanceof ImageInputError ? e.message : `cannot read ${path}` });
  }
  return path;
}

function checkText(v: unknown, line: number, field: string, problems: ManifestProblem[]): void {
  if (typeof v !== 'string' || v.trim() === '') problems.push({ line, field, message: 'must be a non-empty string' });
  else if (v.length > MANIFEST_LIMITS.maxTextChars)
    problems.push({ line, field, message: `${v.length} characters (limit ${MANIFEST_LIMITS.maxTextChars})` });
}

/** Validates every line; returns all problems, or the entries with absolute paths. */
export function validateManifest(path: string): ManifestResult {
  if (!existsSync(path) || !statSync(path).isFile())
    return { ok: false, problems: [{ line: 0, message: `manifest not found: ${path}` }] };
  const size = statSync(path).size;
  if (size > MANIFEST_LIMITS.maxBytes)
    return {
      ok: false,
      problems: [{ line: 0, message: `manifest is ${size} bytes (limit ${MANIFEST_LIMITS.maxBytes})` }],
    };
  const base = dirname(resolve(path));
  const problems: ManifestProblem[] = [];
  const entries: ManifestEntry[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.length > MANIFEST_LIMITS.maxLines)
    return { ok: false, problems: [{ line: 0, message: `${lines.length} lines (limit ${MANIFEST_LIMITS.maxLines})` }] };
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      problems.push({ line, message: `invalid JSON: ${(e as Error).message}` });
      return;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      problems.push({ line, message: 'must be a JSON object' });
      return;
    }
    const o = obj as Record<string, unknown>;
    const kind = lineKind(o);
    const allowed = KEYS[kind];
    for (const k of Object.keys(o))
      if (!allowed.includes(k))
        problems.push({
          line,
          field: k,
          message: `unknown field for ${kind === 'caption' ? 'a caption' : kind === 'edit' ? 'an edit' : 'a question/answer'} line (allowed: ${allowed.join(', ')})`,
        });
    const split = o.split ?? 'train';
    if (split !== 'train' && split !== 'heldout')
      problems.push({ line, field: 'split', message: `must be "train" or "heldout", got ${JSON.stringify(split)}` });
    const before = problems.length;
    if (kind === 'edit') {
      const source = checkImageFile(base, o.source, line, 'source', problems);
      const target = checkImageFile(base, o.target, line, 'target', problems);
      checkText(o.instruction, line, 'instruction', problems);
      if (problems.length === before)
        entries.push({
          kind: 'edit',
          line,
          source,
          target,
          instruction: o.instruction as string,
          split: split as 'train',
        });
    } else if (kind === 'qa') {
      const image = checkImageFile(base, o.image, line, 'image', problems);
      checkText(o.question, line, 'question', problems);
      checkText(o.answer, line, 'answer', problems);
      if (problems.length === before)
        entries.push({
          kind: 'qa',
          line,
          image,
          question: o.question as string,
          answer: o.answer as string,
          split: split as 'train',
        });
    } else {
      const image = checkImageFile(base, o.image, line, 'image', problems);
      checkText(o.caption, line, 'caption', problems);
      if (problems.length === before)
        entries.push({ kind: 'caption', line, image, caption: o.caption as string, split: split as 'train' });
    }
  });
  if (problems.length === 0 && entries.length === 0) problems.push({ line: 0, message: 'manifest has no entries' });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
}

export function formatProblems(path: string, problems: ManifestProblem[]): string {
  return problems.map((p) => `${path}:${p.line}${p.field ? ` (${p.field})` : ''}: ${p.message}`).join('\n');
}

export interface LoadOptions {
  /** Image side the images are fitted to (the model's). */
  size?: number;
  /** Training: a captioned image also becomes a text-to-image item (caption -> image), besides the
   *  image-to-caption one, so the model learns the user's images in both directions. */
  bothDirections?: boolean;
}

/** The task items of one valid entry: caption -> image-to-caption (and text-to-image with bothDirections),
 *  edit -> edit, question/answer -> vqa. Ids name the manifest line. */
function entryItems(e: ManifestEntry, load: (p: string, field: string) => RgbImage | null, both: boolean): TaskItem[] {
  const id = `manifest-${e.line}`;
  if (e.kind === 'edit') {
    const a = load(e.source, 'source');
    const b = load(e.target, 'target');
    if (!a || !b) return [];
    return [
      {
        id,
        task: 'edit',
        split: e.split,
        segments: [userImage({ pixels: a }), userText(e.instruction), modelImage({ pixels: b })],
      },
    ];
  }
  const px = load(e.image, 'image');
  if (!px) return [];
  if (e.kind === 'qa')
    return [
      {
        id,
        task: 'vqa',
        split: e.split,
        segments: [
          userImage({ pixels: px }),
          userText(e.question),
          modelText(e.answer, { type: 'text', answer: e.answer }),
        ],
      },
    ];
  const items: TaskItem[] = [
    {
      id,
      task: 'caption',
      split: e.split,
      segments: [
        userImage({ pixels: px }),
        userText('describe the image.'),
        modelText(e.caption, { type: 'text', answer: e.caption }),
      ],
    },
  ];
  if (both)
    items.push({
      id: `${id}-t2i`,
      task: 't2i',
      split: e.split,
      segments: [userText(e.caption), modelImage({ pixels: px })],
    });
  return items;
}

/** Validates, then decodes every image; a PNG that fails to decode is reported, and nothing is returned. */
export function loadManifest(
  path: string,
  opts: LoadOptions | number = {},
): { ok: true; items: TaskItem[] } | { ok: false; problems: ManifestProblem[] } {
  const { size = IMAGE_SIZE, bothDirections = false } = typeof opts === 'number' ? { size: opts } : opts;
  const v = validateManifest(path);
  if (!v.ok) return v;
  const problems: ManifestProblem[] = [];
  const items: TaskItem[] = [];
  for (const e of v.entries) {
    const load = (p: string, field: string) => {
      try {
        return fitOnBackground(readPngRgba(p), size);
      } catch (err) {
        problems.push({
          line: e.line,
          field,
          message: err instanceof ImageInputError ? err.message : `cannot decode ${p}`,
        });
        return null;
      }
    };
    items.push(...entryItems(e, load, bothDirections));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, items };
}
