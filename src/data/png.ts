// PNG reading and writing (via pngjs), and the one resampler of the data layer: an area-average (box)
// filter that shrinks or stretches an image, used to bring emoji and user images to the model's size.
//
// The image-input boundary: every image that comes from outside (CLI files, chat, session files,
// manifests, later the server) is decoded by decodePng, which checks before pngjs allocates anything: the
// file size, the chunk structure and CRCs, the header (declared width x height against a pixel cap, the
// bit depth and colour type), and that the compressed pixel data inflates to exactly the bytes the header
// implies (inflated with an output cap, so a 69-byte "31000x31000" bomb costs nothing, and missing rows
// are refused instead of read as zeros). Every refusal is an ImageInputError naming the source, what was
// wrong and the limit. pngjs then decodes what passed (a wrapper, not a second decoder).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { crc32, inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import type { RgbImage } from './world/scene.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes a pixel, row-major. */
  data: Uint8Array;
}

export interface ImageLimits {
  /** Largest file, bytes (TESSERA_MAX_IMAGE_BYTES; default 32 MiB). */
  maxBytes: number;
  /** Largest declared width x height (TESSERA_MAX_IMAGE_PIXELS; default 4096 x 4096). */
  maxPixels: number;
}

function envLimit(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

/** The limits for images from outside, from the environment or the defaults (docs/limits.md). */
export function imageLimits(): ImageLimits {
  return {
    maxBytes: envLimit('TESSERA_MAX_IMAGE_BYTES', 32 * 1024 * 1024),
    maxPixels: envLimit('TESSERA_MAX_IMAGE_PIXELS', 4096 * 4096),
  };
}

/** An image from outside that was refused: where it came from, what was wrong, and the limit if one. */
export class ImageInputError extends Error {
  override name = 'ImageInputError';
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly limit?: string,
  ) {
    super(`${source}: ${problem}${limit ? ` (limit: ${limit})` : ''}`);
  }
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && PNG_MAGIC.every((b, i) => buf[i] === b);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes the filtered scanlines of a w x h image take after inflation (a filter byte per row). */
function scanlineBytes(w: number, h: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (pw: number, ph: number) => (pw > 0 && ph > 0 ? ph * (1 + Math.ceil((pw * bitsPerPixel) / 8)) : 0);
  if (!interlaced) return rows(w, h);
  let n = 0;
  for (const [x0, y0, dx, dy] of ADAM7) n += rows(Math.ceil((w - x0) / dx), Math.ceil((h - y0) / dy));
  return n;
}

/** What the header says, after the whole file's structure was checked. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** Checks a PNG's structure, header and pixel data against the limits without decoding it. */
export function checkPng(buf: Uint8Array, source = 'image', limits: Partial<ImageLimits> = {}): PngHeader {
  const lim = { ...imageLimits(), ...limits };
  const fail = (problem: string, limit?: string): never => {
    throw new ImageInputError(source, problem, limit);
  };
  if (buf.length > lim.maxBytes) fail(`file is ${buf.length} bytes`, `${lim.maxBytes} bytes, TESSERA_MAX_IMAGE_BYTES`);
  if (!isPng(buf)) fail('not a PNG image (bad signature); PNG files only');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 8;
  let header: PngHeader | null = null;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let ended = false;
  while (!ended) {
    if (at + 8 > buf.length) fail(`truncated at byte ${at} (no IEND chunk)`);
    const len = view.getUint32(at);
    const type = String.fromCharCode(buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7]);
    if (at + 12 + len > buf.length) fail(`truncated inside the ${JSON.stringify(type)} chunk at byte ${at}`);
    const body = buf.subarray(at + 8, at + 8 + len);
    const crc = view.getUint32(at + 8 + len);
    if (crc32(buf.subarray(at + 4, at + 8 + len)) >>> 0 !== crc)
      fail(`damaged ${JSON.stringify(type)} chunk (CRC mismatch)`);
    if (header === null) {
      if (type !== 'IHDR' || len !== 13) fail('damaged header (the first chunk is not a 13-byte IHDR)');
      const b = new DataView(body.buffer, body.byteOffset, 13);
      const width = b.getUint32(0);
      const height = b.getUint32(4);
      const bitDepth = body[8];
      const colorType = body[9];
      if (width < 1 || height < 1) fail(`declares ${width}x${height} pixels`);
      if (width * height > lim.maxPixels)
        fail(
          `declares ${width}x${height} = ${width * height} pixels`,
          `${lim.maxPixels} pixels, TESSERA_MAX_IMAGE_PIXELS`,
        );
      if (!(colorType in CHANNELS) || !DEPTHS[colorType].includes(bitDepth))
        fail(`unsupported colour type ${colorType} with bit depth ${bitDepth}`);
      if (body[10] !== 0 || body[11] !== 0 || body[12] > 1) fail('unknown compression, filter or interlace method');
      header = { width, height, bitDepth, colorType, interlaced: body[12] === 1 };
    } else if (type === 'IDAT') {
      idatBytes += len;
      if (idatBytes > lim.maxBytes) fail('pixel data larger than the file limit');
      idat.push(body);
    } else if (type === 'IEND') ended = true;
    at += 12 + len;
  }
  const h = header as PngHeader;
  if (idat.length === 0) fail('no pixel data (no IDAT chunk)');
  const want = scanlineBytes(h.width, h.height, CHANNELS[h.colorType] * h.bitDepth, h.interlaced);
  const tooMuch = `the pixel data inflates to more than the ${want} bytes a ${h.width}x${h.height} image holds`;
  let got: number;
  try {
    got = inflateSync(Buffer.concat(idat), { maxOutputLength: want + 1 }).length;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (e as Error).name === 'RangeError') fail(tooMuch);
    fail(`the compressed pixel data is damaged or truncated (${code ?? 'zlib error'})`);
  }
  if (got! !== want)
    fail(
      got! > want
        ? tooMuch
        : `the pixel data is incomplete: ${got!} of the ${want} bytes a ${h.width}x${h.height} image holds (rows missing)`,
    );
  return h;
}

/** Decodes a PNG from outside after checkPng; every refusal is an ImageInputError. */
export function decodePng(buf: Uint8Array, source = 'image', limits: Partial<ImageLimits> = {}): RgbaImage {
  checkPng(buf, source, limits);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch {
    throw new ImageInputError(source, 'damaged PNG image (its pixel data could not be decoded)');
  }
  return {
    width: png.width,
    height: png.height,
    data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length),
  };
}

/** Reads and decodes a PNG file at the boundary (size checked before the file is read). */
export function readPngRgba(path: string, limits: Partial<ImageLimits> = {}): RgbaImage {
  return decodePng(readImageBytes(path, limits), path, limits);
}

/** A file's bytes at the image boundary: its size is checked against the limit before it is read. */
export function readImageBytes(path: string, limits: Partial<ImageLimits> = {}): Buffer {
  const { maxBytes } = { ...imageLimits(), ...limits };
  const cannot = (e: unknown) =>
    new ImageInputError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw cannot(e);
  }
  if (size > maxBytes)
    throw new ImageInputError(path, `file is ${size} bytes`, `${maxBytes} bytes, TESSERA_MAX_IMAGE_BYTES`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw cannot(e);
  }
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

export function readPng(path: string, bg?: readonly number[], limits: Partial<ImageLimits> = {}): RgbImage {
  return flatten(readPngRgba(path, limits), bg);
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

/** The integer factors images are upscaled by for viewing and serving (the CLI's --scale, the API's sizes). */
export const UPSCALE_FACTORS = [1, 2, 4, 8, 16] as const;

/** Nearest-neighbour upscale by a positive integer factor (1 returns the image itself): each pixel a k x k block. */
export function upscale(img: RgbImage, k: number): RgbImage {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`upscale: the factor must be a positive integer, got ${k}`);
  if (k === 1) return img;
  const w = img.width * k;
  const data = new Uint8Array(w * img.height * k * 3);
  for (let y = 0; y < img.height; y++) {
    // one upscaled row, then copied to the k - 1 rows below it
    const row = y * k * w * 3;
    for (let x = 0; x < img.width; x++) {
      const px = img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3);
      for (let j = 0; j < k; j++) data.set(px, row + (x * k + j) * 3);
    }
    for (let j = 1; j < k; j++) data.copyWithin(row + j * w * 3, row, row + w * 3);
  }
  return { width: w, height: img.height * k, data };
}

/** A PNG of the image upscaled by k (nearest neighbour). */
export function encodePngAt(img: RgbImage, k: number): Buffer {
  return encodePng(upscale(img, k));
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
