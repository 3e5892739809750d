// Files at the image tokenizer's boundary: the shipped default tokenizer's location, PNG input for
// `tessera encode` (any square size is box-filtered to the tokenizer's size; non-square is refused),
// and code files for `tessera decode` (JSON, checked for count and range). Images are refused with the
// boundary's ImageInputError (src/data/png.ts), code files with ImageIoError.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flatten, ImageInputError, type RgbaImage, readPngRgba, resampleArea } from '../../data/index.js';
import { packageRoot } from '../../tensor/index.js';

export class ImageIoError extends Error {
  override name = 'ImageIoError';
}

/** models/image-tokenizer/ of the installed package (the tokenizer trained and shipped with tessera). */
export function defaultImageTokenizerDir(): string {
  return join(packageRoot(), 'models', 'image-tokenizer');
}

/** Reads a PNG as size x size RGB bytes (alpha over white) through the image-input boundary (limits, damaged
 *  and incomplete files refused with an ImageInputError). Returns a note when it had to resize. */
export function readImageFile(path: string, size: number): { pixels: Uint8Array; note: string | null } {
  return toModelSize(readPngRgba(path), size, path);
}

/** An RGBA image (already through the boundary) as size x size RGB bytes: alpha over white, any square size
 *  box-filtered; non-square refused. The one rule for files (readImageFile) and uploads (the server). */
export function toModelSize(
  rgba: RgbaImage,
  size: number,
  source: string,
): { pixels: Uint8Array; note: string | null } {
  const { width: w, height: h } = rgba;
  if (w !== h)
    throw new ImageInputError(
      source,
      `image is ${w}x${h}; the tokenizer needs a square image (${size}x${size}, or any square size, which is box-filtered to ${size}x${size})`,
    );
  if (w === size) return { pixels: flatten(rgba).data, note: null };
  const resized = flatten(resampleArea(rgba, 0, 0, w, h, size, size));
  return { pixels: resized.data, note: `${source}: resized ${w}x${h} to ${size}x${size} with a box filter` };
}

/** The JSON that `tessera encode` prints: the grid as rows of codes. */
export function codesToJson(codes: Int32Array, grid: number, codebookSize: number): string {
  const rows = Array.from(
    { length: grid },
    (_, r) => `[${Array.from(codes.subarray(r * grid, (r + 1) * grid)).join(', ')}]`,
  );
  return `{\n  "grid": ${grid},\n  "codebook_size": ${codebookSize},\n  "codes": [\n    ${rows.join(',\n    ')}\n  ]\n}`;
}

/** Parses codes from JSON text: {"codes": ...} or a bare array, flat or as rows; checks count and range. */
export function parseCodesJson(text: string, grid: number, codebookSize: number, source = 'codes'): Int32Array {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ImageIoError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const body = Array.isArray(j) ? j : (j as { codes?: unknown } | null)?.codes;
  if (!Array.isArray(body))
    throw new ImageIoError(`${source}: expected {"codes": [...]} or an array of ${grid * grid} codes`);
  const flat = (body as unknown[]).flat();
  if (flat.length !== grid * grid)
    throw new ImageIoError(
      `${source}: ${flat.length} codes, the tokenizer needs ${grid * grid} (a ${grid}x${grid} grid, row-major)`,
    );
  const out = new Int32Array(flat.length);
  flat.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= codebookSize)
      throw new ImageIoError(
        `${source}: code ${JSON.stringify(v)} at position ${i} (row ${Math.floor(i / grid)}, column ${i % grid}) is not an integer in 0..${codebookSize - 1}`,
      );
    out[i] = v;
  });
  return out;
}

export function readCodesFile(path: string, grid: number, codebookSize: number): Int32Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ImageIoError(`${path}: cannot read (${(e as Error).message})`);
  }
  return parseCodesJson(text, grid, codebookSize, path);
}
