// Factored image codes (ModelConfig.codeFactorRows): each code's tile described as (foreground mask,
// foreground colour, background colour) when it holds at most two colours of the scene world's palette
// (its decoded pixels read as their nearest palette colour, a few stray pixels allowed), as most
// scene-world patches do; a tile with more (emoji, a patch where a sign meets an object) is a factor of its own. The
// model's output embedding of a code is then the sum of its three factors' rows (multimodal.ts), so a
// code that never occurs in training (every patch of a held-out colour-shape pair: `npm run
// bench:heldout-codes`) is scored by a mask learned from other colours and a colour learned from other
// shapes, where a per-code or per-pixel score had only ever seen it as a wrong answer.
//
// Which colour is the background of a two-colour tile: the one more common over the whole dictionary
// (pixels summed over every factored tile), so the role of a colour does not depend on how
// much of one patch it covers: a green object's edge patches all have green as foreground over the
// scene's background colour, whatever the shape covers of each.

import { PALETTE } from '../data/world/spec.js';
import type { ImageTokenizer } from '../tokenizers/image/types.js';

/** Every code decoded: images of grid * grid codes, code k at position k % (grid * grid) of image
 *  floor(k / (grid * grid)) (the last image padded with the last code). */
export function decodeEveryCode(image: ImageTokenizer): Uint8Array[] {
  const K = image.codebookSize;
  const g2 = image.grid * image.grid;
  const grids: Int32Array[] = [];
  for (let k = 0; k < K; k += g2) grids.push(Int32Array.from({ length: g2 }, (_, j) => Math.min(k + j, K - 1)));
  return image.decode(grids);
}

/** Every code's tile as the tokenizer decodes it: K * p * p * 3 bytes (p = imageSize / grid), code after
 *  code, each tile row-major RGB; `images` is decodeEveryCode(image). */
export function codeTiles(image: ImageTokenizer, images = decodeEveryCode(image)): Uint8Array {
  const K = image.codebookSize;
  const g = image.grid;
  const p = image.imageSize / g;
  const S = image.imageSize;
  const tiles = new Uint8Array(K * p * p * 3);
  for (let k = 0; k < K; k++) {
    const img = images[Math.floor(k / (g * g))];
    const j = k % (g * g);
    const y0 = Math.floor(j / g) * p;
    const x0 = (j % g) * p;
    for (let y = 0; y < p; y++)
      tiles.set(img.subarray(((y0 + y) * S + x0) * 3, ((y0 + y) * S + x0 + p) * 3), (k * p + y) * p * 3);
  }
  return tiles;
}

/** The factor rows of a tokenizer's codes (codeFactors of codeTiles). */
export function tokenizerFactors(image: ImageTokenizer): CodeFactors {
  return codeFactors(codeTiles(image), image.codebookSize, image.imageSize / image.grid);
}

/** Each code's three factor rows, and how many rows there are. */
export interface CodeFactors {
  /** Factor rows in all (the height of the model's img.factor table). */
  rows: number;
  /** (K * 3) row indices: code k's mask (or its own row), foreground and background factors. */
  index: Int32Array;
  /** Codes described by their mask and colours (the rest have a row of their own). */
  factored: number;
  /** Distinct masks and colours among them. */
  masks: number;
  colors: number;
}

/** Pixels of a tile that may be neither of its two colours (VQ decoding blurs some edges) for it to still
 *  be factored; each counts as the nearer of the two. */
export const STRAY_PIXELS = 4;

/**
 * The factors of K tiles of p x p RGB pixels (tiles: K * p * p * 3 bytes, tile after tile), each pixel
 * read as its nearest colour of `palette` (default: the scene world's). Rows are laid out as: the masks,
 * the codes of their own, the foreground colours, the background colours, and one "none" row (the
 * foreground of a one-colour tile, both colours of a code of its own). `stray`: how many pixels of a tile
 * may be neither of its two colours (STRAY_PIXELS). Deterministic in the tiles.
 */
export function codeFactors(
  tiles: Uint8Array,
  K: number,
  p: number,
  palette: readonly (readonly number[])[] = Object.values(PALETTE),
  stray = STRAY_PIXELS,
): CodeFactors {
  const n = p * p;
  if (tiles.length !== K * n * 3) throw new Error(`codeFactors: ${tiles.length} bytes for ${K} tiles of ${p}x${p}`);
  const dist = (o: number, c: readonly number[]) =>
    (tiles[o] - c[0]) ** 2 + (tiles[o + 1] - c[1]) ** 2 + (tiles[o + 2] - c[2]) ** 2;
  const nearest = (o: number, among: readonly number[]) => {
    let best = among[0];
    for (const c of among) if (dist(o, palette[c]) < dist(o, palette[best])) best = c;
    return best;
  };
  const all = palette.map((_, i) => i);
  // each tile's pixels as palette colours; its two main colours (null: more than STRAY_PIXELS others)
  const main: ([number] | [number, number] | null)[] = [];
  const frequency = new Float64Array(palette.length);
  const pixels = new Int32Array(K * n);
  for (let k = 0; k < K; k++) {
    const count = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const c = nearest((k * n + i) * 3, all);
      pixels[k * n + i] = c;
      count.set(c, (count.get(c) ?? 0) + 1);
    }
    const ranked = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const kept = ranked.slice(0, 2);
    if (n - kept.reduce((a, [, m]) => a + m, 0) > stray) {
      main.push(null);
      continue;
    }
    main.push(kept.length === 1 || kept[1][1] === 0 ? [kept[0][0]] : [kept[0][0], kept[1][0]]);
    for (const [c, m] of kept) frequency[c] += m;
  }
  // background of a two-colour tile: the colour more common over all factored tiles (ties: lower index)
  const rank = all.slice().sort((a, b) => frequency[b] - frequency[a] || a - b);
  const colorIndex = new Map(rank.map((c, i) => [c, i]));
  const masks = new Map<string, number>();
  const own: number[] = [];
  const parts: [number, number, number][] = []; // (mask id or -1 - own index, fg colour or -1, bg colour)
  for (let k = 0; k < K; k++) {
    const cs = main[k];
    if (!cs) {
      own.push(k);
      parts.push([-own.length, -1, -1]);
      continue;
    }
    const [bg, fg] = cs.length === 1 ? [cs[0], -1] : [...cs].sort((a, b) => colorIndex.get(a)! - colorIndex.get(b)!);
    let bits = '';
    for (let i = 0; i < n; i++) {
      const c = pixels[k * n + i];
      const isFg = fg >= 0 && (c === fg || (c !== bg && nearest((k * n + i) * 3, [bg, fg]) === fg));
      bits += isFg ? '1' : '0';
    }
    if (!masks.has(bits)) masks.set(bits, masks.size);
    parts.push([masks.get(bits)!, fg >= 0 ? colorIndex.get(fg)! : -1, colorIndex.get(bg)!]);
  }
  const M = masks.size;
  const O = own.length;
  const C = palette.length;
  const none = M + O + 2 * C;
  const index = new Int32Array(K * 3);
  parts.forEach(([m, fg, bg], k) => {
    index[k * 3] = m >= 0 ? m : M + (-m - 1);
    index[k * 3 + 1] = fg >= 0 ? M + O + fg : none;
    index[k * 3 + 2] = m >= 0 ? M + O + C + bg : none;
  });
  return { rows: none + 1, index, factored: K - O, masks: M, colors: C };
}

/**
 * The factor table (rows x C) whose sums fit given code embeddings E (K x C) best in least squares (ridge
 * `ridge`): the rows A minimising sum_k |A[mask_k] + A[fg_k] + A[bg_k] - E_k|^2 + ridge |A|^2, from the
 * normal equations (X^T X + ridge I) A = X^T E, X the K x rows design of three ones a code, by Cholesky.
 * How a model with the pixel-linear head starts with factored codes (MultimodalModel.withCodeFactors).
 */
export function fitFactorTable(f: CodeFactors, E: Float32Array, C: number, ridge = 1e-3): Float32Array {
  const R = f.rows;
  const K = f.index.length / 3;
  if (E.length !== K * C) throw new Error(`fitFactorTable: ${E.length} values for ${K} codes of width ${C}`);
  const G = new Float64Array(R * R);
  const B = new Float64Array(R * C);
  for (let k = 0; k < K; k++) {
    const rs = f.index.subarray(k * 3, k * 3 + 3);
    for (const a of rs) {
      for (const b of rs) G[a * R + b] += 1;
      for (let c = 0; c < C; c++) B[a * C + c] += E[k * C + c];
    }
  }
  for (let i = 0; i < R; i++) G[i * R + i] += ridge;
  return Float32Array.from(solveSpd(G, B, R, C));
}

/**
 * For each code, the one code of its factor triple that stands for all of them (itself when no other code
 * has its triple). Codes with the same (mask, fg, bg) rows get the same logit, so a softmax over all of
 * them would split a target between its twins (the shipped VQ-VAE has one triple of 50 codes: plain
 * background drawn 50 nearly equal ways); the model scores one code a triple and reads and trains every
 * twin as it. Which one: the code the tokenizer itself gives the twins' decoded tiles most often (the
 * code real images are encoded to), ties and unclaimed triples to the lowest index. `images` is
 * decodeEveryCode(image).
 */
export function canonicalCodes(f: CodeFactors, image: ImageTokenizer, images = decodeEveryCode(image)): Int32Array {
  const K = image.codebookSize;
  const g2 = image.grid * image.grid;
  const again = image.encode(images);
  const claimed = new Int32Array(K); // how many codes' tiles encode to code c
  for (let k = 0; k < K; k++) claimed[again[Math.floor(k / g2)][k % g2]]++;
  const groups = new Map<string, number[]>();
  for (let k = 0; k < K; k++) {
    const key = `${f.index[k * 3]},${f.index[k * 3 + 1]},${f.index[k * 3 + 2]}`;
    const g = groups.get(key);
    if (g) g.push(k);
    else groups.set(key, [k]);
  }
  const canonical = new Int32Array(K);
  for (const g of groups.values()) {
    let best = g[0];
    for (const k of g) if (claimed[k] > claimed[best]) best = k;
    for (const k of g) canonical[k] = best;
  }
  return canonical;
}

/**
 * Solves G X = B in place for a symmetric positive definite G (R x R, row-major) and B (R x C, all C
 * columns at once), by Cholesky: G is overwritten by its factor, B by X, which is returned.
 */
export function solveSpd(G: Float64Array, B: Float64Array, R: number, C: number): Float64Array {
  if (G.length !== R * R || B.length !== R * C)
    throw new Error(`solveSpd: ${G.length} and ${B.length} values for R ${R}, C ${C}`);
  // Cholesky G = L L^T in place (lower triangle)
  for (let j = 0; j < R; j++) {
    let d = G[j * R + j];
    for (let k = 0; k < j; k++) d -= G[j * R + k] ** 2;
    const l = Math.sqrt(d);
    G[j * R + j] = l;
    for (let i = j + 1; i < R; i++) {
      let v = G[i * R + j];
      for (let k = 0; k < j; k++) v -= G[i * R + k] * G[j * R + k];
      G[i * R + j] = v / l;
    }
  }
  // forward then back substitution, all C columns at once
  for (let i = 0; i < R; i++) {
    for (let k = 0; k < i; k++) {
      const g = G[i * R + k];
      if (g !== 0) for (let c = 0; c < C; c++) B[i * C + c] -= g * B[k * C + c];
    }
    for (let c = 0; c < C; c++) B[i * C + c] /= G[i * R + i];
  }
  for (let i = R - 1; i >= 0; i--) {
    for (let k = i + 1; k < R; k++) {
      const g = G[k * R + i];
      if (g !== 0) for (let c = 0; c < C; c++) B[i * C + c] -= g * B[k * C + c];
    }
    for (let c = 0; c < C; c++) B[i * C + c] /= G[i * R + i];
  }
  return B;
}
