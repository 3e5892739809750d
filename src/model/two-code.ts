// Two codes a patch: the image tokenizer that writes each VQ code as its shape and its colours, so a
// patch no training image has (every patch of a held-out colour-shape pair: `npm run bench:heldout-codes`)
// is a shape code and a colour code that training images do have. Built on the VQ-VAE's codes and their
// factors (code-factors.ts, with no stray pixels allowed): a code's shape is its tile's foreground mask
// (or the code itself when the tile is not exactly two palette colours: emoji, faces, blurred edges), its
// colour is the (foreground, background) pair. Decoding goes back through the codebook: the code with that shape and colours (of
// twins, codes with the same factors, the one whose tile is nearest its own pixels snapped to the
// palette: the cleanest drawing of them, so a scene's flat background and sign plate stay the exact
// colours the verifier reads; the VQ-VAE's most-used twin (canonicalCodes) is not always that).
//
// Why a tokenizer and not a head: with one code a patch, a held-out pair is a code the model must put
// mass on without ever having produced it, and every head tried (grounding, mask times colour, factored
// rows; docs/model.md) left the model's hidden state asking for the trained shape of that colour. With
// two, drawing it is two choices, each one trained: `npm run bench:two-code` (held-out pairs drawn 0.97
// against 0.00 for one code a patch, the same transformer and minutes). The joint model takes it with
// ModelConfig.codesPerPatch 2 (train --set twoCodes=1): its images are then 2 * grid * grid tokens, the
// sampler draws a shape code at even positions and a colour code at odd ones (slotRange), and a checkpoint
// keeps the VQ-VAE, wrapped again on load.

import { PALETTE } from '../data/world/spec.js';
import type { ImageTokenizer } from '../tokenizers/image/types.js';
import { codeFactors, codeTiles } from './code-factors.js';

export class TwoCodeTokenizer implements ImageTokenizer {
  /** Image tokens a patch: its shape, then its colours. */
  readonly codesPerPatch = 2;
  /** Shape codes: 0 .. shapeCodes - 1. */
  readonly shapeCodes: number;
  /** Colour codes: shapeCodes .. shapeCodes + colorCodes - 1. */
  readonly colorCodes: number;
  readonly grid: number;
  readonly imageSize: number;
  /** Each VQ code's tile, as codeTiles gives them (what a painter of codes pastes). */
  readonly tiles: Uint8Array;
  private readonly shapeOf: Int32Array;
  private readonly colorOf: Int32Array;
  /** "shape,colour" -> the VQ code that stands for them: of its twins, the cleanest (snapDistances). */
  private readonly codeOf = new Map<string, number>();
  /** A VQ code with each shape: what an impossible pair decodes to (the shape kept, its colours not). */
  private readonly shapeCode: Int32Array;

  /** stray: pixels a tile may have of neither of its two colours (codeFactors); 0 keeps every scene's
   *  sign readable (docs/model.md). */
  constructor(
    readonly vq: ImageTokenizer,
    stray = 0,
  ) {
    const K = vq.codebookSize;
    this.tiles = codeTiles(vq);
    this.grid = vq.grid;
    this.imageSize = vq.imageSize;
    const factors = codeFactors(this.tiles, K, vq.imageSize / vq.grid, undefined, stray);
    const shapes = new Map<number, number>();
    const colors = new Map<string, number>();
    this.shapeOf = new Int32Array(K);
    this.colorOf = new Int32Array(K);
    const clean = snapDistances(this.tiles, K);
    const firstOfShape: number[] = [];
    for (let k = 0; k < K; k++) {
      const [m, fg, bg] = factors.index.subarray(k * 3, k * 3 + 3);
      if (!shapes.has(m)) {
        shapes.set(m, shapes.size);
        firstOfShape.push(k);
      }
      const c = `${fg},${bg}`;
      if (!colors.has(c)) colors.set(c, colors.size);
      this.shapeOf[k] = shapes.get(m)!;
      this.colorOf[k] = colors.get(c)!;
      const key = `${this.shapeOf[k]},${this.colorOf[k]}`;
      const had = this.codeOf.get(key);
      if (had === undefined || clean[k] < clean[had]) this.codeOf.set(key, k);
    }
    this.shapeCodes = shapes.size;
    this.colorCodes = colors.size;
    this.shapeCode = Int32Array.from(firstOfShape);
  }

  /** Distinct image tokens (shape codes, then colour codes). */
  get codebookSize(): number {
    return this.shapeCodes + this.colorCodes;
  }

  /** Tokens of an image: 2 * grid * grid, row-major by patch, each patch's shape then colour. */
  get codesPerImage(): number {
    return this.codesPerPatch * this.grid * this.grid;
  }

  /** The two-code tokens of one image's VQ codes (grid * grid). */
  fromVqCodes(codes: Int32Array): Int32Array {
    const g2 = this.grid * this.grid;
    if (codes.length !== g2) throw new RangeError(`TwoCodeTokenizer: ${codes.length} VQ codes, an image has ${g2}`);
    const out = new Int32Array(2 * g2);
    codes.forEach((k, j) => {
      if (!Number.isInteger(k) || k < 0 || k >= this.shapeOf.length)
        throw new RangeError(`TwoCodeTokenizer: VQ code ${k} at patch ${j} is outside 0..${this.shapeOf.length - 1}`);
      out[2 * j] = this.shapeOf[k];
      out[2 * j + 1] = this.shapeCodes + this.colorOf[k];
    });
    return out;
  }

  /** The VQ codes of one image's two-code tokens, and how many patches had no code with their shape and
   *  colours (drawn as a code of their shape). A token in the wrong slot is refused. */
  toVqCodes(tokens: Int32Array): { codes: Int32Array; fallbacks: number } {
    if (tokens.length !== this.codesPerImage)
      throw new RangeError(`TwoCodeTokenizer: ${tokens.length} tokens, an image has ${this.codesPerImage}`);
    const codes = new Int32Array(tokens.length / 2);
    let fallbacks = 0;
    for (let j = 0; j < codes.length; j++) {
      const s = tokens[2 * j];
      const c = tokens[2 * j + 1] - this.shapeCodes;
      if (!(s >= 0 && s < this.shapeCodes) || !(c >= 0 && c < this.colorCodes))
        throw new RangeError(
          `TwoCodeTokenizer: patch ${j} has tokens (${s}, ${tokens[2 * j + 1]}); a shape is 0..${this.shapeCodes - 1}, a colour ${this.shapeCodes}..${this.codebookSize - 1}`,
        );
      const k = this.codeOf.get(`${s},${c}`);
      if (k === undefined) fallbacks++;
      codes[j] = k ?? this.shapeCode[s];
    }
    return { codes, fallbacks };
  }

  /** The image token ids valid at a position of an image: [lo, hi). */
  slotRange(position: number): [number, number] {
    return position % 2 === 0 ? [0, this.shapeCodes] : [this.shapeCodes, this.codebookSize];
  }

  /** Batched: each image's two-code tokens. */
  encode(images: readonly Uint8Array[]): Int32Array[] {
    return this.vq.encode(images).map((c) => this.fromVqCodes(c));
  }

  /** Batched: each image from its two-code tokens, through the VQ-VAE's decoder. */
  decode(tokens: readonly Int32Array[]): Uint8Array[] {
    return this.vq.decode(tokens.map((t) => this.toVqCodes(t).codes));
  }
}

/** Each code's squared distance from its tile to the same tile with every pixel snapped to its nearest
 *  palette colour (0: drawn in exact palette colours). */
function snapDistances(tiles: Uint8Array, K: number): Float64Array {
  const colors = Object.values(PALETTE);
  const n = tiles.length / K / 3;
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++)
    for (let i = 0; i < n; i++) {
      const o = (k * n + i) * 3;
      let best = Number.POSITIVE_INFINITY;
      for (const c of colors)
        best = Math.min(best, (tiles[o] - c[0]) ** 2 + (tiles[o + 1] - c[1]) ** 2 + (tiles[o + 2] - c[2]) ** 2);
      out[k] += best;
    }
  return out;
}
