// PNG reading and writing (via pngjs), and the one resampler of the data layer: an area-average (box)
// filter that shrinks or stretches an image, used to bring emoji and user images to the model's size.
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { RgbImage } from './world/scene.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes a pixel, row-major. */
  data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && PNG_MAGIC.every((b, i) => buf[i] === b);
}

export function decodePng(buf: Buffer): RgbaImage {
  if (!isPng(buf)) throw new Error('not a PNG file (bad signature)');
  const png = PNG.sync.read(buf);
  return {
    width: png.width,
    height: png.height,
    data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length),
  };
}

export function readPngRgba(path: string): RgbaImage {
  return decodePng(readFileSync(path));
}

/** Flattens alpha onto a background color. */
export function flatten(img: RgbaImage, bg: readonly number[] = [255, 255, 255]): RgbImage {
  const out = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) {
    const a = img.data[i * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(img.data[i * 4 + c] * a + bg[c] * (1 - a));
  }
  return { width: img.width, height: img.height, data: out };
}

export function readPng(path: string, bg?: readonly number[]): RgbImage {
  return flatten(readPngRgba(path), bg);
}

export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    png.data[i * 4] = img.data[i * 3];
    png.data[i * 4 + 1] = img.data[i * 3 + 1];
    png.data[i * 4 + 2] = img.data[i * 3 + 2];
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function writePng(path: string, img: RgbImage): void {
  writeFileSync(path, encodePng(img));
}

/**
 * Area-average resampling of an RGBA region (sx, sy, sw, sh) to w x h: each output pixel is the
 * coverage-weighted mean of the source pixels under it (colors weighted by alpha).
 */
export function resampleArea(
  src: RgbaImage,
  sx: number,
  sy: number,
  sw: number,
  sh: number,
  w: number,
  h: number,
): RgbaImage {
  const out = new Uint8Array(w * h * 4);
  const kx = sw / w;
  const ky = sh / h;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const acc = [0, 0, 0, 0];
      let area = 0;
      const x0 = x * kx;
      const x1 = x0 + kx;
      const y0 = y * ky;
      const y1 = y0 + ky;
      for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++)
        for (let xx = Math.floor(x0); xx < Math.ceil(x1); xx++) {
          const cover = (Math.min(x1, xx + 1) - Math.max(x0, xx)) * (Math.min(y1, yy + 1) - Math.max(y0, yy));
          if (cover <= 0) continue;
          const i = ((sy + yy) * src.width + sx + xx) * 4;
          const a = src.data[i + 3] / 255;
          for (let c = 0; c < 3; c++) acc[c] += src.data[i + c] * a * cover;
          acc[3] += a * cover;
          area += cover;
        }
      const o = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) out[o + c] = acc[3] > 0 ? Math.round(acc[c] / acc[3]) : 0;
      out[o + 3] = Math.round((255 * acc[3]) / (area || 1));
    }
  return { width: w, height: h, data: out };
}

/** Fits an RGBA image into a size x size square (box filter), centred on a flat background. */
export function fitOnBackground(
  src: RgbaImage,
  size: number,
  bg: readonly number[] = [255, 255, 255],
  box = size,
): RgbImage {
  const scale = box / Math.max(src.width, src.height);
  const w = Math.max(1, Math.round(src.width * scale));
  const h = Math.max(1, Math.round(src.height * scale));
  const small = flatten(resampleArea(src, 0, 0, src.width, src.height, w, h), bg);
  const out = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) out.set(bg, i * 3);
  const ox = Math.floor((size - w) / 2);
  const oy = Math.floor((size - h) / 2);
  for (let y = 0; y < h; y++) out.set(small.data.subarray(y * w * 3, (y + 1) * w * 3), ((oy + y) * size + ox) * 3);
  return { width: size, height: size, data: out };
}
