// The contract between images and the model: an image tokenizer maps an RGB image of the world's size
// (64 x 64, see `tessera world spec`) to a grid of discrete codes (8 x 8 = 64 codes) and back.
// The VQ-VAE (vqvae.ts) implements it; tests and early experiments may use any other implementation.

export interface ImageTokenizer {
  /** Number of distinct codes (codebook entries); codes are 0 .. codebookSize - 1. */
  readonly codebookSize: number;
  /** Codes per side: an image becomes grid * grid codes, row-major. */
  readonly grid: number;
  /** Image side in pixels (square RGB images, imageSize * imageSize * 3 bytes, row-major). */
  readonly imageSize: number;
  /** Codes a patch (absent: 1). The two-code tokenizer (model/two-code.ts) writes each patch as 2: its
   *  shape, then its colours; an image is then codesPerImage(t) codes, patch-major. */
  readonly codesPerPatch?: number;
  /** With codesPerPatch > 1: the codes valid at position p of an image, [lo, hi) (absent: every code). */
  slotRange?(position: number): [number, number];
  /** Batched: one Int32Array of codesPerImage(t) codes per image. */
  encode(images: readonly Uint8Array[]): Int32Array[];
  /** Batched: one RGB image per code grid. */
  decode(codes: readonly Int32Array[]): Uint8Array[];
}

/** Codes of one image: codesPerPatch * grid * grid. */
export function codesPerImage(t: ImageTokenizer): number {
  return (t.codesPerPatch ?? 1) * t.grid * t.grid;
}

/** A copy of an image's codes with every position from `done` on set to the first code valid there: what
 *  a partly drawn image decodes as (a two-code tokenizer refuses a shape code in a colour slot). */
export function drawnSoFar(t: ImageTokenizer, codes: ArrayLike<number>, done: number): Int32Array {
  return Int32Array.from({ length: codesPerImage(t) }, (_, i) =>
    i < done && i < codes.length ? codes[i] : (t.slotRange?.(i)[0] ?? 0),
  );
}
