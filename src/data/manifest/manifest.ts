// A JSONL manifest for a user's own images: one JSON object a line, either a captioned image
// {"image": "a.png", "caption": "..."} or an edit pair {"source": "a.png", "target": "b.png", "instruction": "..."}.
// Paths are relative to the manifest and must stay inside its folder; every image is checked at the image
// boundary (size, structure, complete pixel data) before anything is decoded. Every line is validated first; problems come back as one list
// naming line and field, and nothing is loaded unless all lines are valid.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { checkPng, fitOnBackground, ImageInputError, readImageBytes, readPngRgba } from '../png.js';
import { modelImage, modelText, type TaskItem, userImage, userText } from '../sequence.js';
import { IMAGE_SIZE } from '../world/spec.js';

export type ManifestEntry =
  | { kind: 'caption'; line: number; image: string; caption: string; split: 'train' | 'heldout' }
  | { kind: 'edit'; line: number; source: string; target: string; instruction: string; split: 'train' | 'heldout' };

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
    const isEdit = 'source' in o || 'target' in o || 'instruction' in o;
    const allowed = isEdit ? EDIT_KEYS : CAPTION_KEYS;
    for (const k of Object.keys(o))
      if (!allowed.includes(k))
        problems.push({
          line,
          field: k,
          message: `unknown field for a ${isEdit ? 'edit' : 'caption'} line (allowed: ${allowed.join(', ')})`,
        });
    const split = o.split ?? 'train';
    if (split !== 'train' && split !== 'heldout')
      problems.push({ line, field: 'split', message: `must be "train" or "heldout", got ${JSON.stringify(split)}` });
    const before = problems.length;
    if (isEdit) {
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

/** Validates, then decodes every image; a PNG that fails to decode is reported, and nothing is returned. */
export function loadManifest(
  path: string,
  size = IMAGE_SIZE,
): { ok: true; items: TaskItem[] } | { ok: false; problems: ManifestProblem[] } {
  const v = validateManifest(path);
  if (!v.ok) return v;
  const problems: ManifestProblem[] = [];
  const load = (p: string, line: number, field: string) => {
    try {
      return fitOnBackground(readPngRgba(p), size);
    } catch (e) {
      problems.push({ line, field, message: e instanceof ImageInputError ? e.message : `cannot decode ${p}` });
      return null;
    }
  };
  const items: TaskItem[] = [];
  for (const e of v.entries) {
    const id = `manifest-${e.line}`;
    if (e.kind === 'caption') {
      const px = load(e.image, e.line, 'image');
      if (px)
        items.push({
          id,
          task: 'caption',
          split: e.split,
          segments: [
            userImage({ pixels: px }),
            userText('describe the image.'),
            modelText(e.caption, { type: 'text', answer: e.caption }),
          ],
        });
    } else {
      const a = load(e.source, e.line, 'source');
      const b = load(e.target, e.line, 'target');
      if (a && b)
        items.push({
          id,
          task: 'edit',
          split: e.split,
          segments: [userImage({ pixels: a }), userText(e.instruction), modelImage({ pixels: b })],
        });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, items };
}
