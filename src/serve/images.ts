// Images at the server's edge: uploads through the image-input boundary (src/data/png.ts: limits, damaged
// files, PNG bombs) to the model's size, masks (transparent pixels mark the region an edit may change),
// served sizes (the model draws 64x64; larger square sizes are nearest-neighbour upscales by an integer
// factor, the one upscale of src/data/png.ts), and the partial images streamed while codes are drawn.
import {
  checkPng,
  decodePng,
  encodePngAt,
  flatten,
  ImageInputError,
  type RgbaImage,
  type RgbImage,
  UPSCALE_FACTORS,
} from '../data/index.js';
import { toModelSize } from '../tokenizers/index.js';

/** A request input the server refuses with a 4xx: the message names the field. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
    readonly status: 400 | 404 | 409 | 413 | 415 | 422 | 429 | 503 | 504 = 400,
    readonly code = 'invalid_request',
  ) {
    super(message);
  }
}

export interface ModelImage {
  image: RgbImage;
  /** What was done to fit the model (a resize), or null. */
  note: string | null;
  /** The upload's own size, before fitting. */
  width: number;
  height: number;
}

function decodeUpload(bytes: Uint8Array, field: string): RgbaImage {
  try {
    return decodePng(bytes, field);
  } catch (e) {
    if (e instanceof ImageInputError)
      throw new RequestError(
        `${field}: ${e.problem}${e.limit ? ` (limit: ${e.limit})` : ''}`,
        field,
        e.limit ? 413 : 400,
      );
    throw e;
  }
}

/** An uploaded PNG as the model's size x size RGB image (square sizes box-filtered, others refused). */
export function uploadedImage(bytes: Uint8Array, size: number, field = 'image'): ModelImage {
  const rgba = decodeUpload(bytes, field);
  try {
    const fit = toModelSize(rgba, size, field);
    return {
      image: { width: size, height: size, data: fit.pixels },
      note: fit.note,
      width: rgba.width,
      height: rgba.height,
    };
  } catch (e) {
    if (e instanceof ImageInputError) throw new RequestError(`${field}: ${e.problem}`, field);
    throw e;
  }
}

/**
 * A mask PNG for an edit, the image's size: pixels with alpha < 128 mark where the edit may change the image
 * (OpenAI's convention). Returned at the model's size, 1 = editable. Refused: not a PNG, no alpha channel
 * (nothing could be marked), a size other than the image's, and a mask that marks nothing.
 */
export function uploadedMask(bytes: Uint8Array, image: ModelImage, size: number): Uint8Array {
  let header: ReturnType<typeof checkPng>;
  try {
    header = checkPng(bytes, 'mask');
  } catch (e) {
    if (e instanceof ImageInputError) throw new RequestError(`mask: ${e.problem}`, 'mask');
    throw e;
  }
  // colour types 4 (grey + alpha) and 6 (RGBA) carry alpha; a tRNS chunk is rare enough to refuse plainly
  if (header.colorType !== 4 && header.colorType !== 6)
    throw new RequestError(
      'mask: the PNG has no alpha channel; its transparent pixels must mark the region to edit',
      'mask',
    );
  if (header.width !== image.width || header.height !== image.height)
    throw new RequestError(
      `mask: the mask is ${header.width}x${header.height} but the image is ${image.width}x${image.height}; they must be the same size`,
      'mask',
    );
  const rgba = decodeUpload(bytes, 'mask');
  const out = new Uint8Array(size * size);
  const f = rgba.width / size;
  let marked = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      // a model pixel is editable when any upload pixel it covers is transparent
      let editable = 0;
      for (let yy = Math.floor(y * f); yy < Math.ceil((y + 1) * f) && !editable; yy++)
        for (let xx = Math.floor(x * f); xx < Math.ceil((x + 1) * f); xx++)
          if (rgba.data[(yy * rgba.width + xx) * 4 + 3] < 128) {
            editable = 1;
            break;
          }
      out[y * size + x] = editable;
      marked += editable;
    }
  if (marked === 0) throw new RequestError('mask: no pixel is transparent, so the edit could change nothing', 'mask');
  return out;
}

/** The edit's result inside the mask, the original outside it. */
export function applyMask(original: RgbImage, edited: RgbImage, mask: Uint8Array): RgbImage {
  const data = new Uint8Array(original.data);
  for (let i = 0; i < mask.length; i++) if (mask[i]) data.set(edited.data.subarray(i * 3, i * 3 + 3), i * 3);
  return { width: original.width, height: original.height, data };
}

export interface ServedSize {
  /** "WxH" as asked. */
  size: string;
  /** Integer upscale factor from the model's size (1 = native). */
  scale: number;
}

/** The served sizes: the model's size times 1, 2, 4, 8 or 16 (nearest-neighbour upscales). */
export function servedSizes(native: number): string[] {
  return UPSCALE_FACTORS.map((k) => `${native * k}x${native * k}`);
}

export function parseSize(size: string | undefined, native: number): ServedSize {
  if (size === undefined || size === 'auto') return { size: `${native}x${native}`, scale: 1 };
  const m = /^(\d+)x(\d+)$/.exec(size);
  const sizes = servedSizes(native);
  if (!m || m[1] !== m[2] || !sizes.includes(size))
    throw new RequestError(
      `size: ${JSON.stringify(size)} is not served; the model draws ${native}x${native} and serves ${sizes.join(', ')} (nearest-neighbour upscales)`,
      'size',
    );
  return { size, scale: Number(m[1]) / native };
}

/** The served image as PNG bytes: the shared nearest-neighbour upscale (src/data/png.ts) by k. */
export function pngAt(img: RgbImage, k: number): Buffer {
  return encodePngAt(img, k);
}

/** PNG bytes at k times their size: the bytes themselves when k is 1 (nothing decoded or encoded again). */
export function servedPng(png: Uint8Array, k: number, source: string): Buffer {
  return k === 1 ? Buffer.from(png) : pngAt(pngToRgb(png, source), k);
}

/** A partial image while its codes are drawn: the decoded image with the rows of patches not drawn yet grey. */
export function partialImage(decoded: RgbImage, done: number, grid: number): RgbImage {
  const patch = decoded.height / grid;
  const rowsDrawn = Math.floor(done / grid);
  const data = new Uint8Array(decoded.data);
  data.fill(200, rowsDrawn * patch * decoded.width * 3);
  return { width: decoded.width, height: decoded.height, data };
}

/** A PNG the server made itself (stored or from the worker) back to RGB, e.g. to upscale it. */
export function pngToRgb(png: Uint8Array, source: string): RgbImage {
  return flatten(decodePng(png, source));
}
