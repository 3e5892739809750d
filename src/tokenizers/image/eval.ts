// Evaluating an image tokenizer by the project's verifier: held-out scenes are encoded and decoded, and
// the reconstruction must parse (parseImage) exactly like the original's scene (compareScenes). Also
// PSNR on scenes and held-out emoji, codebook usage (used codes, perplexity), and a side-by-side grid.
import { compareScenes, type MismatchKind, parseImage, type RgbImage, upscale } from '../../data/index.js';
import { sampleEmoji, sampleScenes } from './data.js';
import type { ImageTokenizer } from './types.js';

/** Peak signal-to-noise ratio of two byte images, in dB (99 for identical images). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`psnr: images of ${a.length} and ${b.length} bytes`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  if (se === 0) return 99;
  return 10 * Math.log10((255 * 255 * a.length) / se);
}

export interface CodeUsage {
  /** Distinct codes that occur, of codebookSize. */
  used: number;
  codebookSize: number;
  /** exp(entropy) of the code histogram: the effective number of codes. */
  perplexity: number;
}

export function codeUsage(codes: readonly Int32Array[], codebookSize: number): CodeUsage {
  const hist = new Float64Array(codebookSize);
  let n = 0;
  for (const grid of codes)
    for (const c of grid) {
      hist[c]++;
      n++;
    }
  let h = 0;
  let used = 0;
  for (const v of hist)
    if (v > 0) {
      used++;
      h -= (v / n) * Math.log(v / n);
    }
  return { used, codebookSize, perplexity: Math.exp(h) };
}

export interface SceneEval {
  n: number;
  /** Fraction whose reconstruction parses exactly like the original scene. */
  exact: number;
  /** Fraction whose sign word (or its absence) is read back exactly. */
  wordExact: number;
  /** Fraction whose reconstruction is byte-identical to the original. */
  pixelExact: number;
  psnr: number;
  mismatches: Partial<Record<MismatchKind, number>>;
  usage: CodeUsage;
  seconds: number;
}

/** Held-out scenes through the tokenizer and the verifier. */
export function evalScenes(tok: ImageTokenizer, n: number, seed = 1234): SceneEval {
  const t0 = performance.now();
  const items = sampleScenes(n, seed, 'heldout');
  const codes = tok.encode(items.map((s) => s.pixels));
  const recon = tok.decode(codes);
  let exact = 0;
  let word = 0;
  let pixel = 0;
  let p = 0;
  const mismatches: Partial<Record<MismatchKind, number>> = {};
  items.forEach((it, i) => {
    const img: RgbImage = { width: tok.imageSize, height: tok.imageSize, data: recon[i] };
    const v = compareScenes(it.scene, parseImage(img));
    if (v.ok) exact++;
    if (v.byKind.word === 0) word++;
    for (const m of v.mismatches) mismatches[m.kind] = (mismatches[m.kind] ?? 0) + 1;
    if (psnrOrInf(it.pixels, recon[i])) pixel++;
    p += psnr(it.pixels, recon[i]);
  });
  return {
    n,
    exact: exact / n,
    wordExact: word / n,
    pixelExact: pixel / n,
    psnr: p / n,
    mismatches,
    usage: codeUsage(codes, tok.codebookSize),
    seconds: (performance.now() - t0) / 1000,
  };
}

function psnrOrInf(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface EmojiEval {
  n: number;
  psnr: number;
  usage: CodeUsage;
  originals: Uint8Array[];
  recons: Uint8Array[];
}

/** Held-out emoji (both vendors, on white/gray/black) through the tokenizer. */
export function evalEmoji(tok: ImageTokenizer, n: number, seed = 1234): EmojiEval {
  const originals = sampleEmoji(n, seed, 'heldout');
  const codes = tok.encode(originals);
  const recons = tok.decode(codes);
  const p = originals.reduce((s, o, i) => s + psnr(o, recons[i]), 0) / n;
  return { n, psnr: p, usage: codeUsage(codes, tok.codebookSize), originals, recons };
}

/** A grid of pairs (original | reconstruction), `cols` pairs a row, 2 px gaps, scaled up by `zoom`. */
export function pairGrid(originals: Uint8Array[], recons: Uint8Array[], size: number, cols = 4, zoom = 2): RgbImage {
  const gap = 2;
  const rows = Math.ceil(originals.length / cols);
  const W = cols * (2 * size + 3 * gap);
  const H = rows * (size + gap) + gap;
  const data = new Uint8Array(W * H * 3).fill(90);
  const blit = (img: Uint8Array, x0: number, y0: number) => {
    for (let y = 0; y < size; y++) data.set(img.subarray(y * size * 3, (y + 1) * size * 3), ((y0 + y) * W + x0) * 3);
  };
  originals.forEach((o, i) => {
    const x = (i % cols) * (2 * size + 3 * gap) + gap;
    const y = Math.floor(i / cols) * (size + gap) + gap;
    blit(o, x, y);
    blit(recons[i], x + size + gap, y);
  });
  const grid = { width: W, height: H, data };
  return zoom > 1 ? upscale(grid, zoom) : grid;
}

/** The numbers as printed by `tessera tokenizer eval-image` and at the end of `train-image`. */
export function formatEval(s: SceneEval, e: EmojiEval | null): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const kinds = Object.entries(s.mismatches)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    `held-out scenes  ${s.n}: verifier-exact ${pct(s.exact)}, sign word exact ${pct(s.wordExact)}, pixel-exact ${pct(s.pixelExact)}, PSNR ${s.psnr.toFixed(2)} dB`,
    `  mismatches     ${kinds || 'none'}`,
    `  codebook       ${s.usage.used}/${s.usage.codebookSize} codes used, perplexity ${s.usage.perplexity.toFixed(1)}`,
  ];
  if (e)
    lines.push(
      `held-out emoji   ${e.n}: PSNR ${e.psnr.toFixed(2)} dB; ${e.usage.used} codes used, perplexity ${e.usage.perplexity.toFixed(1)}`,
    );
  return lines.join('\n');
}
