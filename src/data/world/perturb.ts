// Image perturbations that imitate a generator's mistakes, for testing the verifier's robustness and for
// evaluation sanity checks: noise, blur, ragged edges, a 1-px shift, stray pixels. All seeded.

import type { Rng } from '../../tensor/index.js';
import { cloneImage } from './render.js';
import type { RgbImage } from './scene.js';
import { PALETTE } from './spec.js';

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** Adds independent noise per channel: the sum of two uniforms (triangular, Gaussian-like) in [-amp, amp]. */
export function addNoise(img: RgbImage, rng: Rng, amp: number): RgbImage {
  const out = cloneImage(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] = clamp(out.data[i] + amp * (rng.next() + rng.next() - 1));
  return out;
}

/** One pass of the 3x3 binomial blur [1 2 1]^T [1 2 1] / 16, edges clamped. */
export function blur(img: RgbImage): RgbImage {
  const out = cloneImage(img);
  const w = [1, 2, 1];
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(img.width - 1, Math.max(0, x + dx));
            const yy = Math.min(img.height - 1, Math.max(0, y + dy));
            s += w[dy + 1] * w[dx + 1] * img.data[(yy * img.width + xx) * 3 + c];
          }
        out.data[(y * img.width + x) * 3 + c] = clamp(s / 16);
      }
  return out;
}

/** Ragged edges: each pixel that differs from a 4-neighbour copies that neighbour with probability p. */
export function jitterEdges(img: RgbImage, rng: Rng, p: number): RgbImage {
  const out = cloneImage(img);
  const at = (x: number, y: number) => (y * img.width + x) * 3;
  for (let y = 1; y < img.height - 1; y++)
    for (let x = 1; x < img.width - 1; x++) {
      const [dx, dy] = rng.pick([
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ]);
      const a = at(x, y);
      const b = at(x + dx, y + dy);
      const differs =
        img.data[a] !== img.data[b] || img.data[a + 1] !== img.data[b + 1] || img.data[a + 2] !== img.data[b + 2];
      if (differs && rng.chance(p)) out.data.set(img.data.subarray(b, b + 3), a);
    }
  return out;
}

/** Translates the whole image by (dx, dy) pixels, repeating the edge. */
export function shift(img: RgbImage, dx: number, dy: number): RgbImage {
  const out = cloneImage(img);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, x - dx));
      const sy = Math.min(img.height - 1, Math.max(0, y - dy));
      const s = (sy * img.width + sx) * 3;
      out.data.set(img.data.subarray(s, s + 3), (y * img.width + x) * 3);
    }
  return out;
}

/** Sets n random pixels to random palette colors. */
export function strayPixels(img: RgbImage, rng: Rng, n: number): RgbImage {
  const out = cloneImage(img);
  const colors = Object.values(PALETTE);
  for (let i = 0; i < n; i++)
    out.data.set(rng.pick(colors), (rng.between(0, img.height - 1) * img.width + rng.between(0, img.width - 1)) * 3);
  return out;
}
