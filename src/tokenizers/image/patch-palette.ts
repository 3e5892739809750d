// STAND-IN image tokenizer (until the VQ-VAE lands): a patch dictionary. Each 8x8 patch of a 64x64 image
// becomes the id of an exact patch from a dictionary of the K most frequent patches of rendered
// scene-world images (both splits: a tokenizer has no labels, and the real VQ-VAE must also draw held-out
// combinations); an unseen patch maps to the nearest entry by squared pixel distance. Exact on most
// scene-world images, crude on emoji. It implements the ImageTokenizer contract so the model, training
// and evaluation are written against the interface, not this class.
import { renderScene } from '../../data/world/render.js';
import { sampleScene } from '../../data/world/sample.js';
import { Rng } from '../../tensor/index.js';
import type { ImageTokenizer } from './types.js';

export const PATCH_PALETTE_FORMAT = 'tessera-patch-dictionary';

export class PatchPaletteTokenizer implements ImageTokenizer {
  readonly imageSize = 64;
  readonly grid = 8;
  readonly patch = 8;
  readonly codebookSize: number;
  private readonly index = new Map<string, number>();

  /** patches: codebookSize * 192 bytes (8x8 RGB, row-major). */
  constructor(readonly patches: Uint8Array) {
    const n = this.patch * this.patch * 3;
    if (patches.length % n !== 0 || patches.length === 0)
      throw new Error(`PatchPaletteTokenizer: ${patches.length} bytes is not a positive multiple of ${n}`);
    this.codebookSize = patches.length / n;
    for (let k = 0; k < this.codebookSize; k++) this.index.set(key(patches.subarray(k * n, (k + 1) * n)), k);
  }

  /** Builds the dictionary from `scenes` rendered scenes per split (deterministic in seed). */
  static fromScenes(codebookSize: number, scenes = 1500, seed = 7): PatchPaletteTokenizer {
    const counts = new Map<string, { n: number; bytes: Uint8Array }>();
    const rng = Rng.world(seed);
    for (let i = 0; i < scenes * 2; i++) {
      const img = renderScene(sampleScene(rng, i % 2 === 0 ? 'train' : 'heldout'));
      for (let p = 0; p < 64; p++) {
        const bytes = cutPatch(img.data, p);
        const k = key(bytes);
        const c = counts.get(k);
        if (c) c.n++;
        else counts.set(k, { n: 1, bytes });
      }
    }
    const top = [...counts.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1)).slice(0, codebookSize);
    const out = new Uint8Array(codebookSize * 192);
    top.forEach(([, v], i) => {
      out.set(v.bytes, i * 192);
    });
    // Fewer distinct patches than codes: fill the rest with flat grays so every code decodes to something.
    for (let i = top.length; i < codebookSize; i++) out.fill((i * 37) % 256, i * 192, (i + 1) * 192);
    return new PatchPaletteTokenizer(out);
  }

  encode(images: readonly Uint8Array[]): Int32Array[] {
    return images.map((data) => {
      if (data.length !== 64 * 64 * 3)
        throw new Error(`PatchPaletteTokenizer.encode: ${data.length} bytes, expected 12288`);
      const codes = new Int32Array(64);
      for (let p = 0; p < 64; p++) {
        const bytes = cutPatch(data, p);
        codes[p] = this.index.get(key(bytes)) ?? this.nearest(bytes);
      }
      return codes;
    });
  }

  decode(codes: readonly Int32Array[]): Uint8Array[] {
    return codes.map((c) => {
      if (c.length !== 64) throw new Error(`PatchPaletteTokenizer.decode: ${c.length} codes, expected 64`);
      const out = new Uint8Array(64 * 64 * 3);
      for (let p = 0; p < 64; p++) {
        const k = c[p];
        if (!(k >= 0 && k < this.codebookSize)) throw new Error(`PatchPaletteTokenizer.decode: code ${k} at ${p}`);
        const src = this.patches.subarray(k * 192, (k + 1) * 192);
        const py = Math.floor(p / 8) * 8;
        const px = (p % 8) * 8;
        for (let y = 0; y < 8; y++) out.set(src.subarray(y * 24, y * 24 + 24), ((py + y) * 64 + px) * 3);
      }
      return out;
    });
  }

  private nearest(bytes: Uint8Array): number {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.codebookSize; k++) {
      let d = 0;
      const o = k * 192;
      for (let i = 0; i < 192 && d < bestD; i++) {
        const e = bytes[i] - this.patches[o + i];
        d += e * e;
      }
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best;
  }

  /** JSON file contents for a checkpoint (patches base64). */
  toJson(): string {
    return JSON.stringify({
      format: PATCH_PALETTE_FORMAT,
      version: 1,
      patches: Buffer.from(this.patches).toString('base64'),
    });
  }

  static fromJson(text: string, file = 'image-tokenizer.json'): PatchPaletteTokenizer {
    const j = JSON.parse(text) as { format?: string; version?: number; patches?: string };
    if (j.format !== PATCH_PALETTE_FORMAT || j.version !== 1 || typeof j.patches !== 'string')
      throw new Error(`${file}: not a ${PATCH_PALETTE_FORMAT} v1 file. HINT: re-create it with tessera train`);
    return new PatchPaletteTokenizer(new Uint8Array(Buffer.from(j.patches, 'base64')));
  }
}

function cutPatch(data: Uint8Array, p: number): Uint8Array {
  const out = new Uint8Array(192);
  const py = Math.floor(p / 8) * 8;
  const px = (p % 8) * 8;
  for (let y = 0; y < 8; y++) out.set(data.subarray(((py + y) * 64 + px) * 3, ((py + y) * 64 + px) * 3 + 24), y * 24);
  return out;
}

function key(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
