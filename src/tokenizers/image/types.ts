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
  /** Batched: one Int32Array of grid * grid codes per image. */
  encode(images: readonly Uint8Array[]): Int32Array[];
  /** Batched: one RGB image per code grid. */
  decode(codes: readonly Int32Array[]): Uint8Array[];
}
