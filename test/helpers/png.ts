// Hand-built PNG files for the image-boundary tests: any header, any pixel data, valid or broken CRCs.
import { crc32, deflateSync } from 'node:zlib';

export function chunk(type: string, body: Uint8Array, badCrc = false): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(body)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(tb) ^ (badCrc ? 1 : 0)) >>> 0);
  return Buffer.concat([len, tb, crc]);
}

export function ihdr(width: number, height: number, bitDepth = 8, colorType = 6, interlace = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = bitDepth;
  b[9] = colorType;
  b[12] = interlace;
  return chunk('IHDR', b);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG of w x h 8-bit RGBA whose IDAT holds `rows` filtered rows (all of them by default). */
export function rgbaPng(w: number, h: number, rows = h, fill = 128): Buffer {
  const raw = Buffer.alloc(rows * (1 + 4 * w), fill);
  for (let r = 0; r < rows; r++) raw[r * (1 + 4 * w)] = 0; // filter type 0
  return Buffer.concat([SIGNATURE, ihdr(w, h), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** The bomb of the issue: a header claiming w x h, and 100 zero bytes of compressed data. */
export function bombPng(w: number, h: number): Buffer {
  return Buffer.concat([
    SIGNATURE,
    ihdr(w, h),
    chunk('IDAT', deflateSync(Buffer.alloc(100))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export { SIGNATURE };
