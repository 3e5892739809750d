// The verifier, the project's only judge of image quality: parses any RGB image (clean render or an
// imperfect generated one) back into a scene, and compares scenes attribute by attribute.
// Robust by construction: colors by nearest palette line (blur mixes a color with the background
// linearly), shapes by mask features (fill ratio, top/bottom width ratio), letters and faces by nearest
// template with a +-1 px alignment search. See compare.ts for scene comparison and metrics.
import { GLYPH_H, GLYPH_W, GLYPHS, LETTERS } from './font.js';
import { blankImage, cellOrigin, characterArt, shapeMask } from './render.js';
import type { Character, RgbImage, Scene, SceneObject } from './scene.js';
import {
  ACCESSORIES,
  ACCESSORY_COLOR,
  type Accessory,
  BACKGROUNDS,
  type Background,
  BODY_COLORS,
  CELL,
  EYE_COLORS,
  FACES,
  GLYPH_DX,
  GLYPH_DY,
  IMAGE_SIZE,
  OBJECT_COLORS,
  PALETTE,
  PALETTE_NAMES,
  PATCH,
  type PaletteName,
  SIGN_INK,
  SIGN_PLATE,
  SIGN_Y,
  SIZE_PX,
  TOKENS_PER_SIDE,
} from './spec.js';

type Rgb = readonly number[];

/** Tunable thresholds of the parser (documented in docs/data.md). */
export const VERIFY_THRESHOLDS = Object.freeze({
  /** A pixel is foreground when farther than this from the background color. */
  foregroundDistance: 45,
  /** Fewer mask pixels than this in a cell: the cell is empty. */
  minObjectPixels: 12,
  /** Bounding-box side at or above which an object is large (small 8, large 14). */
  largeSide: 11,
  /** Fraction of face-core pixels nearest to skin for a cell to hold a character. */
  faceCoreSkin: 0.5,
  /** Accessory pixels needed to report an accessory. */
  minAccessoryPixels: 3,
  /** Fraction of a bottom-row patch that is foreground for it to be part of the sign. */
  plateFraction: 0.4,
  /** 1 - normalised cross-correlation above which a letter is unreadable ('?'). */
  maxGlyphError: 0.5,
  /** Malformed shapes: an object with more defect pixels than this (see ObjectFit) is not the shape it was
   *  read as. 5 lets a 2x2 blemish pass and refuses anything from 6 pixels with body (a 2x3 stem). */
  maxDefectPixels: 5,
});

/**
 * How well a parsed object is explained by the clean rendering of the shape and size it was read as,
 * placed where it fits best in its cell: `unexplained` counts the pixels of the object's color mask (before
 * any clean-up) outside that rendering plus the rendering's pixels missing from the mask; `defect` counts
 * only those covered by a 2x2 block of unexplained pixels (noise, blur, 1-px shifts and ragged edges leave
 * isolated pixels and 1-px lines; a stem, a flattened side or a missing corner leave blocks).
 */
export interface ObjectFit {
  cell: number;
  unexplained: number;
  defect: number;
}

function px(img: RgbImage, x: number, y: number): Rgb {
  const cx = Math.min(img.width - 1, Math.max(0, x));
  const cy = Math.min(img.height - 1, Math.max(0, y));
  const i = (cy * img.width + cx) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

function dist(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function nearestColor<T extends PaletteName>(p: Rgb, names: readonly T[]): T {
  let best = names[0];
  let bd = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = dist(p, PALETTE[n]);
    if (d < bd) {
      bd = d;
      best = n;
    }
  }
  return best;
}

/** Position of p along the segment a -> b (0 at a, 1 at b, clamped) and its distance from that segment. */
function alongSegment(p: Rgb, a: Rgb, b: Rgb): { t: number; off: number } {
  const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len2 = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2 || 1;
  const t = Math.min(1, Math.max(0, ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1] + (p[2] - a[2]) * ab[2]) / len2));
  return { t, off: dist(p, [a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]]) };
}

/** Brings any image to 64x64: box filter for integer multiples (e.g. a 4x view), else nearest neighbour. */
export function toWorldSize(img: RgbImage): RgbImage {
  if (img.width === IMAGE_SIZE && img.height === IMAGE_SIZE) return img;
  if (img.data.length !== img.width * img.height * 3)
    throw new Error(`verify: image data has ${img.data.length} bytes, expected ${img.width}x${img.height}x3`);
  const out = blankImage(IMAGE_SIZE, IMAGE_SIZE);
  const kx = img.width / IMAGE_SIZE;
  const ky = img.height / IMAGE_SIZE;
  const box = Number.isInteger(kx) && Number.isInteger(ky);
  for (let y = 0; y < IMAGE_SIZE; y++)
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const sum = [0, 0, 0];
      const x0 = Math.floor(x * kx);
      const y0 = Math.floor(y * ky);
      const nx = box ? kx : 1;
      const ny = box ? ky : 1;
      for (let dy = 0; dy < ny; dy++)
        for (let dx = 0; dx < nx; dx++) {
          const p = px(img, x0 + dx, y0 + dy);
          for (let c = 0; c < 3; c++) sum[c] += p[c];
        }
      for (let c = 0; c < 3; c++) out.data[(y * IMAGE_SIZE + x) * 3 + c] = Math.round(sum[c] / (nx * ny));
    }
  return out;
}

/** Majority background color over the margins (top patch row, left and right patch columns). */
function parseBackground(img: RgbImage): Background {
  const votes = new Map<Background, number>();
  for (let y = 0; y < SIGN_Y; y++)
    for (let x = 0; x < IMAGE_SIZE; x++) {
      if (y >= PATCH && x >= PATCH && x < IMAGE_SIZE - PATCH) continue;
      const n = nearestColor(px(img, x, y), BACKGROUNDS);
      votes.set(n, (votes.get(n) ?? 0) + 1);
    }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

function normalise(v: number[]): number[] {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const dev = v.map((x) => x - mean);
  const norm = Math.hypot(...dev) || 1e-9;
  return dev.map((x) => x / norm);
}

/**
 * Zero-mean, unit-norm glyph templates for normalised cross-correlation: each letter sharp and once
 * blurred (3x3 binomial, ink outside the glyph box counted as 0), so soft generated letters match too.
 */
const TEMPLATES: { letter: string; t: number[] }[] = [...LETTERS].flatMap((l) => {
  const on = (x: number, y: number) => (x >= 0 && y >= 0 && x < GLYPH_W && y < GLYPH_H && GLYPHS[l][y][x] ? 1 : 0);
  const sharp: number[] = [];
  const soft: number[] = [];
  const w = [1, 2, 1];
  for (let y = 0; y < GLYPH_H; y++)
    for (let x = 0; x < GLYPH_W; x++) {
      sharp.push(on(x, y));
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += w[dy + 1] * w[dx + 1] * on(x + dx, y + dy);
      soft.push(s / 16);
    }
  return [
    { letter: l, t: normalise(sharp) },
    { letter: l, t: normalise(soft) },
  ];
});

/** Reads one letter at patch left edge x0 with the sign's alignment (sx, sy). */
function readLetter(img: RgbImage, x0: number, sx: number, sy: number): { letter: string; error: number } {
  const plate = PALETTE[SIGN_PLATE];
  const ink = PALETTE[SIGN_INK];
  const inkMap: number[] = [];
  for (let gy = 0; gy < GLYPH_H; gy++)
    for (let gx = 0; gx < GLYPH_W; gx++)
      inkMap.push(likeness(px(img, x0 + GLYPH_DX + gx + sx, SIGN_Y + GLYPH_DY + gy + sy), ink, plate));
  const dev = normalise(inkMap);
  let best = { letter: '?', error: Number.POSITIVE_INFINITY };
  for (const { letter, t } of TEMPLATES) {
    let dot = 0;
    for (let i = 0; i < t.length; i++) dot += dev[i] * t[i];
    // Error = 1 - normalised cross-correlation: 0 for a perfect match, blind to contrast.
    if (1 - dot < best.error) best = { letter, error: 1 - dot };
  }
  if (best.error > VERIFY_THRESHOLDS.maxGlyphError) best.letter = '?';
  return best;
}

/**
 * The sign's word: the bottom-row patches that are mostly foreground, read left to right with one
 * alignment (+-1 px) for the whole sign, the one with the smallest total glyph error.
 */
function parseSign(img: RgbImage, bg: Background): string | null {
  const cols: number[] = [];
  for (let col = 0; col < TOKENS_PER_SIDE; col++) {
    let fg = 0;
    for (let y = SIGN_Y; y < SIGN_Y + PATCH; y++)
      for (let x = col * PATCH; x < (col + 1) * PATCH; x++)
        if (dist(px(img, x, y), PALETTE[bg]) > VERIFY_THRESHOLDS.foregroundDistance) fg++;
    if (fg / (PATCH * PATCH) >= VERIFY_THRESHOLDS.plateFraction) cols.push(col);
  }
  if (cols.length === 0) return null;
  let best = { word: '', error: Number.POSITIVE_INFINITY };
  for (let sy = -1; sy <= 1; sy++)
    for (let sx = -1; sx <= 1; sx++) {
      const letters = cols.map((c) => readLetter(img, c * PATCH, sx, sy));
      const error = letters.reduce((a, l) => a + l.error, 0);
      if (error < best.error) best = { word: letters.map((l) => l.letter).join(''), error };
    }
  return best.word;
}

/** Likeness of p to color c: 1 at c, 0 at the distance of the reference color `ref` from c, or farther. */
function likeness(p: Rgb, c: Rgb, ref: Rgb): number {
  return Math.min(1, Math.max(0, 1 - dist(p, c) / dist(ref, c)));
}

function skinness(p: Rgb, bg: Rgb): number {
  return likeness(p, PALETTE.skin, bg);
}

function isCharacterCell(img: RgbImage, ox: number, oy: number): boolean {
  let skin = 0;
  let n = 0;
  for (let r = 5; r <= 9; r++)
    for (let c = 5; c <= 10; c++) {
      if ((r === 6 || r === 7) && (c <= 6 || c >= 9)) continue;
      n++;
      if (nearestColor(px(img, ox + c, oy + r), PALETTE_NAMES) === 'skin') skin++;
    }
  return skin / n >= VERIFY_THRESHOLDS.faceCoreSkin;
}

function parseCharacter(img: RgbImage, cell: number, bgName: Background): Character {
  const o = cellOrigin(cell);
  const bg = PALETTE[bgName];
  // Alignment: the skin centroid against the clean render's.
  const ref = characterArt('square', 'none');
  let cx = 0;
  let cy = 0;
  let w = 0;
  let rx = 0;
  let ry = 0;
  let rw = 0;
  for (let r = 2; r < 13; r++)
    for (let c = 1; c < 15; c++) {
      const s = skinness(px(img, o.x + c, o.y + r), bg);
      cx += s * c;
      cy += s * r;
      w += s;
      if (ref[r][c] === 's') {
        rx += c;
        ry += r;
        rw++;
      }
    }
  const dx = Math.max(-2, Math.min(2, Math.round(cx / (w || 1) - rx / rw)));
  const dy = Math.max(-2, Math.min(2, Math.round(cy / (w || 1) - ry / rw)));
  const at = (r: number, c: number) => px(img, o.x + c + dx, o.y + r + dy);

  // Face: nearest of the two face templates over the face box and a 1-px border.
  let face: Character['face'] = FACES[0];
  let bestErr = Number.POSITIVE_INFINITY;
  for (const f of FACES) {
    const art = characterArt(f, 'none');
    let err = 0;
    for (let r = 4; r <= 10; r++)
      for (let c = 2; c <= 13; c++) {
        if (art[r][c] === 'e') continue;
        err += (skinness(at(r, c), bg) - (art[r][c] === 's' ? 1 : 0)) ** 2;
      }
    if (err < bestErr) {
      bestErr = err;
      face = f;
    }
  }

  // Eyes: direction of (mean eye pixel - skin), which blur only shortens.
  const m = [0, 0, 0];
  for (const r of [6, 7])
    for (const c of [5, 6, 9, 10]) {
      const p = at(r, c);
      for (let k = 0; k < 3; k++) m[k] += p[k] / 8;
    }
  const v = m.map((x, k) => x - PALETTE.skin[k]);
  let eyes: Character['eyes'] = EYE_COLORS[0];
  let bestCos = Number.NEGATIVE_INFINITY;
  for (const e of EYE_COLORS) {
    const u = PALETTE[e].map((x, k) => x - PALETTE.skin[k]);
    const cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (Math.hypot(...u) * Math.hypot(...v) || 1);
    if (cos > bestCos) {
      bestCos = cos;
      eyes = e;
    }
  }

  // Body: majority over the body's inner pixels.
  const bodyVotes = new Map<string, number>();
  for (let r = 12; r <= 14; r++)
    for (let c = 5; c <= 10; c++) {
      const n = nearestColor(at(r, c), BODY_COLORS);
      bodyVotes.set(n, (bodyVotes.get(n) ?? 0) + 1);
    }
  const body = [...bodyVotes.entries()].sort((a, b) => b[1] - a[1])[0][0] as Character['body'];

  // Accessory: pixels in rows 0-3 nearest to an accessory color.
  const accCounts = new Map<Accessory, number>();
  for (let r = 0; r <= 3; r++)
    for (let c = 1; c <= 15; c++) {
      const n = nearestColor(at(r, c), PALETTE_NAMES);
      for (const a of ACCESSORIES)
        if (a !== 'none' && ACCESSORY_COLOR[a] === n) accCounts.set(a, (accCounts.get(a) ?? 0) + 1);
    }
  let accessory: Accessory = 'none';
  let accBest = VERIFY_THRESHOLDS.minAccessoryPixels - 1;
  for (const [a, n] of accCounts)
    if (n > accBest) {
      accBest = n;
      accessory = a;
    }
  return { face, eyes, body, accessory, cell };
}

/**
 * Ragged edges add a sparse ring one pixel outside a shape: drop the outermost row or column on each side
 * (at most one) when it holds fewer than half the median row or column count.
 */
function trimRaggedEdges(pts: { x: number; y: number }[]): { x: number; y: number }[] {
  if (pts.length === 0) return pts;
  let out = pts;
  for (const axis of ['x', 'y'] as const) {
    const counts = new Map<number, number>();
    for (const p of out) counts.set(p[axis], (counts.get(p[axis]) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const lo = Math.min(...counts.keys());
    const hi = Math.max(...counts.keys());
    out = out.filter(
      (p) => !((p[axis] === lo || p[axis] === hi) && (counts.get(p[axis]) ?? 0) < median / 2 && hi - lo > 2),
    );
  }
  return out;
}

/** Best placement of the shape's clean mask in the cell: the XOR map against the color mask. */
function bestErrorMap(raw: Uint8Array, shape: SceneObject['shape'], size: SceneObject['size']): Uint8Array {
  const s = SIZE_PX[size];
  const mask = shapeMask(shape, s);
  let best: Uint8Array | null = null;
  let bestN = Number.POSITIVE_INFINITY;
  for (let oy = 0; oy <= CELL - s; oy++)
    for (let ox = 0; ox <= CELL - s; ox++) {
      const e = new Uint8Array(CELL * CELL);
      let n = 0;
      for (let y = 0; y < CELL; y++)
        for (let x = 0; x < CELL; x++) {
          const inBox = x >= ox && y >= oy && x < ox + s && y < oy + s;
          const want = inBox && mask[(y - oy) * s + (x - ox)] ? 1 : 0;
          if (want !== raw[y * CELL + x]) {
            e[y * CELL + x] = 1;
            n++;
          }
        }
      if (n < bestN) {
        bestN = n;
        best = e;
      }
    }
  return best as Uint8Array;
}

/**
 * Unexplained pixels of an error map, and the defect: those covered by a 2x2 block of errors (a
 * morphological opening), which drops isolated pixels and 1-px lines (noise, ragged edges, a neighbour's
 * edge leaking in) and keeps anything with body: a stem, a flattened side, a missing corner.
 */
function defects(e: Uint8Array): { unexplained: number; defect: number } {
  const covered = new Uint8Array(e.length);
  let unexplained = 0;
  for (let y = 0; y < CELL; y++)
    for (let x = 0; x < CELL; x++) {
      const i = y * CELL + x;
      unexplained += e[i];
      if (x + 1 < CELL && y + 1 < CELL && e[i] && e[i + 1] && e[i + CELL] && e[i + CELL + 1])
        covered[i] = covered[i + 1] = covered[i + CELL] = covered[i + CELL + 1] = 1;
    }
  return { unexplained, defect: covered.reduce((a, b) => a + b, 0) };
}

/** One object cell: color by nearest background->color line, then mask features. Null when empty. */
function parseObject(img: RgbImage, cell: number, bgName: Background): { obj: SceneObject; fit: ObjectFit } | null {
  const o = cellOrigin(cell);
  const bg = PALETTE[bgName];
  const fg: { x: number; y: number; p: Rgb }[] = [];
  for (let y = 0; y < CELL; y++)
    for (let x = 0; x < CELL; x++) {
      const p = px(img, o.x + x, o.y + y);
      if (dist(p, bg) > VERIFY_THRESHOLDS.foregroundDistance) fg.push({ x, y, p });
    }
  if (fg.length < VERIFY_THRESHOLDS.minObjectPixels) return null;
  let color: SceneObject['color'] = OBJECT_COLORS[0];
  let bestCost = Number.POSITIVE_INFINITY;
  for (const c of OBJECT_COLORS) {
    let cost = 0;
    for (const f of fg) cost += Math.min(alongSegment(f.p, bg, PALETTE[c]).off, 80);
    if (cost < bestCost) {
      bestCost = cost;
      color = c;
    }
  }
  const raw = new Uint8Array(CELL * CELL);
  for (const f of fg) {
    const a = alongSegment(f.p, bg, PALETTE[color]);
    if (a.t >= 0.5 && a.off < 60) raw[f.y * CELL + f.x] = 1;
  }
  // Keep mask pixels with at least 3 of 8 neighbours: drops stray pixels and 1-px lines leaking in from
  // a neighbouring cell, keeps 2-px arms and a triangle's 2-px apex.
  let kept: { x: number; y: number }[] = [];
  for (let y = 0; y < CELL; y++)
    for (let x = 0; x < CELL; x++) {
      if (!raw[y * CELL + x]) continue;
      let nb = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if ((dx || dy) && xx >= 0 && yy >= 0 && xx < CELL && yy < CELL) nb += raw[yy * CELL + xx];
        }
      if (nb >= 3) kept.push({ x, y });
    }
  kept = trimRaggedEdges(kept);
  if (kept.length < VERIFY_THRESHOLDS.minObjectPixels) return null;
  const x0 = Math.min(...kept.map((k) => k.x));
  const x1 = Math.max(...kept.map((k) => k.x));
  const y0 = Math.min(...kept.map((k) => k.y));
  const y1 = Math.max(...kept.map((k) => k.y));
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const size = Math.max(bw, bh) >= VERIFY_THRESHOLDS.largeSide ? 'large' : 'small';
  const widths = new Array<number>(bh).fill(0);
  for (const k of kept) widths[k.y - y0]++;
  const third = Math.max(1, Math.floor(bh / 3));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const topBottom = mean(widths.slice(0, third)) / Math.max(1e-9, mean(widths.slice(bh - third)));
  const fill = kept.length / (bw * bh);
  const shape = topBottom < 0.7 ? 'triangle' : fill >= 0.9 ? 'square' : fill >= 0.64 ? 'circle' : 'cross';
  const fit = defects(bestErrorMap(raw, shape, size));
  return { obj: { shape, color, size, cell }, fit: { cell, ...fit } };
}

/** True when an object's fit is within the malformed-shape tolerance. */
export function wellFormed(fit: ObjectFit): boolean {
  return fit.defect <= VERIFY_THRESHOLDS.maxDefectPixels;
}

/** Parses an image into a scene and how well each object is explained by its shape's clean rendering. */
export function parseImageFits(input: RgbImage): { scene: Scene; fits: ObjectFit[] } {
  const img = toWorldSize(input);
  const background = parseBackground(img);
  const scene: Scene = { background, objects: [], sign: parseSign(img, background), character: null };
  const fits: ObjectFit[] = [];
  for (let cell = 0; cell < 9; cell++) {
    const o = cellOrigin(cell);
    if (!scene.character && isCharacterCell(img, o.x, o.y)) {
      scene.character = parseCharacter(img, cell, background);
      continue;
    }
    const r = parseObject(img, cell, background);
    if (r) {
      scene.objects.push(r.obj);
      fits.push(r.fit);
    }
  }
  return { scene, fits };
}

/** Parses an image of any size into a scene (see toWorldSize for resizing). */
export function parseImage(input: RgbImage): Scene {
  return parseImageFits(input).scene;
}
