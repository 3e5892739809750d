// Scene comparison and the metrics built on it: attribute-by-attribute mismatches (what the evaluation
// counts), word accuracy / normalised edit distance (text rendering), and preservation outside an edit.

import type { Rect, RgbImage, Scene, SceneObject } from './scene.js';
import { CELL_NAMES } from './spec.js';
import { type ObjectFit, parseImageFits, wellFormed } from './verify.js';

export type MismatchKind =
  | 'background'
  | 'count'
  | 'position'
  | 'color'
  | 'shape'
  | 'size'
  | 'word'
  | 'character'
  | 'identity'
  | 'accessory';

export const MISMATCH_KINDS: readonly MismatchKind[] = [
  'background',
  'count',
  'position',
  'color',
  'shape',
  'size',
  'word',
  'character',
  'identity',
  'accessory',
];

export interface Mismatch {
  kind: MismatchKind;
  /** Which thing: 'object at the top left', 'sign', 'character.eyes', ... */
  where: string;
  expected: string;
  actual: string;
}

export interface Verdict {
  ok: boolean;
  mismatches: Mismatch[];
  byKind: Record<MismatchKind, number>;
}

const objKey = (o: SceneObject) => `${o.size} ${o.color} ${o.shape}`;

/** Compares an expected scene with an actual (parsed) one; with the parser's fits, an object drawn in its
 *  cell with the asked attributes but malformed (more defect pixels than the tolerance) is a shape error. */
export function compareScenes(expected: Scene, actual: Scene, fits: readonly ObjectFit[] = []): Verdict {
  const mm: Mismatch[] = [];
  const add = (kind: MismatchKind, where: string, e: unknown, a: unknown) =>
    mm.push({ kind, where, expected: String(e), actual: String(a) });
  if (expected.background !== actual.background)
    add('background', 'background', expected.background, actual.background);

  // Objects: same cell first; then unmatched pairs with equal attributes are position errors; the rest count.
  const exp = [...expected.objects];
  const act = [...actual.objects];
  for (const e of [...exp]) {
    const a = act.find((x) => x.cell === e.cell);
    if (!a) continue;
    exp.splice(exp.indexOf(e), 1);
    act.splice(act.indexOf(a), 1);
    const where = `object at the ${CELL_NAMES[e.cell]}`;
    if (e.color !== a.color) add('color', where, e.color, a.color);
    if (e.shape !== a.shape) add('shape', where, e.shape, a.shape);
    if (e.size !== a.size) add('size', where, e.size, a.size);
    const fit = fits.find((f) => f.cell === a.cell);
    if (e.shape === a.shape && fit && !wellFormed(fit))
      add('shape', where, e.shape, `malformed ${a.shape} (${fit.defect} px off)`);
  }
  for (const e of [...exp]) {
    const a = act.find((x) => objKey(x) === objKey(e));
    if (!a) continue;
    exp.splice(exp.indexOf(e), 1);
    act.splice(act.indexOf(a), 1);
    add('position', objKey(e), CELL_NAMES[e.cell], CELL_NAMES[a.cell]);
  }
  for (const e of exp) add('count', `${objKey(e)} at the ${CELL_NAMES[e.cell]}`, 'present', 'missing');
  for (const a of act) add('count', `${objKey(a)} at the ${CELL_NAMES[a.cell]}`, 'absent', 'present');

  if ((expected.sign ?? '') !== (actual.sign ?? ''))
    add('word', 'sign', expected.sign ?? '(none)', actual.sign ?? '(none)');

  const ec = expected.character;
  const ac = actual.character;
  if (!ec !== !ac) add('character', 'character', ec ? 'present' : 'absent', ac ? 'present' : 'absent');
  if (ec && ac) {
    if (ec.cell !== ac.cell) add('position', 'character', CELL_NAMES[ec.cell], CELL_NAMES[ac.cell]);
    for (const t of ['face', 'eyes', 'body'] as const)
      if (ec[t] !== ac[t]) add('identity', `character.${t}`, ec[t], ac[t]);
    if (ec.accessory !== ac.accessory) add('accessory', 'character.accessory', ec.accessory, ac.accessory);
  }
  const byKind = Object.fromEntries(MISMATCH_KINDS.map((k) => [k, 0])) as Record<MismatchKind, number>;
  for (const m of mm) byKind[m.kind]++;
  return { ok: mm.length === 0, mismatches: mm, byKind };
}

/** Parses an image and compares it with the expected scene, malformed shapes refused. */
export function verifyImage(expected: Scene, image: RgbImage): Verdict & { parsed: Scene; fits: ObjectFit[] } {
  const { scene: parsed, fits } = parseImageFits(image);
  return { ...compareScenes(expected, parsed, fits), parsed, fits };
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The text-rendering metric: exact match and edit distance normalised by the longer word (0 = equal). */
export function wordMetrics(expected: string | null, actual: string | null): { exact: boolean; ned: number } {
  const e = expected ?? '';
  const a = actual ?? '';
  const n = Math.max(e.length, a.length);
  return { exact: e === a, ned: n === 0 ? 0 : levenshtein(e, a) / n };
}

/** True when pixel (x, y) lies in one of the rectangles. */
export function inRegion(regions: readonly Rect[], x: number, y: number): boolean {
  return regions.some((r) => x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h);
}

/**
 * Preservation: the fraction of pixels outside the edit regions whose every channel changed by at most
 * `tolerance`. 1 when nothing outside the regions changed; 1 when every pixel is inside the regions.
 */
export function preservation(before: RgbImage, after: RgbImage, regions: readonly Rect[], tolerance = 24): number {
  if (before.width !== after.width || before.height !== after.height)
    throw new Error(`preservation: ${before.width}x${before.height} vs ${after.width}x${after.height}`);
  let outside = 0;
  let kept = 0;
  for (let y = 0; y < before.height; y++)
    for (let x = 0; x < before.width; x++) {
      if (inRegion(regions, x, y)) continue;
      outside++;
      const i = (y * before.width + x) * 3;
      let ok = true;
      for (let c = 0; c < 3; c++) if (Math.abs(before.data[i + c] - after.data[i + c]) > tolerance) ok = false;
      if (ok) kept++;
    }
  return outside === 0 ? 1 : kept / outside;
}
