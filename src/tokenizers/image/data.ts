// Images for training and evaluating the image tokenizer: scenes of the world (seeded, by split) and
// emoji of the openly licensed vendors (by the emoji held-out split), as HWC RGB bytes.
import {
  EMOJI_VENDORS,
  EmojiSheets,
  type EmojiVendor,
  isHeldoutEmoji,
  loadEmojiIndex,
  PALETTE,
  renderScene,
  type Scene,
  type Split,
  sampleScene,
} from '../../data/index.js';
import { Rng } from '../../tensor/index.js';

export interface ImageSource {
  batch(n: number): Uint8Array[];
}

/** n scenes of a split with their renders (for the verifier). */
export function sampleScenes(n: number, seed: number, split: Split): { scene: Scene; pixels: Uint8Array }[] {
  const rng = Rng.world(seed);
  return Array.from({ length: n }, () => {
    const scene = sampleScene(rng, split);
    return { scene, pixels: renderScene(scene).data };
  });
}

/** n emoji images of a split (random vendor, on white, gray or black). */
export function sampleEmoji(n: number, seed: number, split: Split): Uint8Array[] {
  const rng = Rng.world(seed);
  const records = loadEmojiIndex().filter((e) => e.vendors.length > 0 && isHeldoutEmoji(e) === (split === 'heldout'));
  const sheets = new EmojiSheets();
  const bgs = [PALETTE.white, PALETTE.gray, PALETTE.black];
  return Array.from({ length: n }, () => {
    const e = rng.pick(records);
    const vendor = rng.pick(e.vendors) as EmojiVendor;
    return sheets.image(vendor, e, rng.between(0, 9) < 7 ? PALETTE.white : rng.pick(bgs)).data;
  });
}

/** Train-split scenes mixed with a share of train-split emoji (a pool sampled once, reused). */
export function sceneEmojiSource(seed: number, emojiFraction: number, imageSize: number): ImageSource {
  const rng = Rng.world(seed);
  let emoji: Uint8Array[] | null = null;
  return {
    batch(n: number): Uint8Array[] {
      const out: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        if (emojiFraction > 0 && rng.next() < emojiFraction) {
          emoji ??= sampleEmoji(600, seed + 1, 'train');
          out.push(rng.pick(emoji));
        } else out.push(renderScene(sampleScene(rng, 'train')).data);
      }
      if (imageSize !== 64) return out.map((img) => downsample(img, 64, imageSize));
      return out;
    },
  };
}

/** Box-filters a square HWC RGB image to a smaller integer fraction of its size (for the tiny preset). */
export function downsample(img: Uint8Array, from: number, to: number): Uint8Array {
  const k = from / to;
  if (!Number.isInteger(k)) throw new Error(`downsample: ${from} is not a multiple of ${to}`);
  const out = new Uint8Array(to * to * 3);
  for (let y = 0; y < to; y++)
    for (let x = 0; x < to; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++)
          for (let dx = 0; dx < k; dx++) s += img[((y * k + dy) * from + x * k + dx) * 3 + c];
        out[(y * to + x) * 3 + c] = Math.round(s / (k * k));
      }
  return out;
}

export { EMOJI_VENDORS };

/**
 * The distinct patch x patch tiles of the scene world, collected from `scenesPerSplit` scenes of each split.
 * The world's visual vocabulary is small (995 distinct 8x8 tiles, 803 of them in train-split scenes; the
 * count saturates by 5,000 scenes), so a per-patch tokenizer can be exact if every tile gets its own code.
 * Both splits are read: the split exists to test the model's composition of held-out color-shape pairs,
 * words and identities, and the tokenizer must be able to draw every one of them. The evaluation uses
 * freshly sampled held-out scenes (another seed), never these.
 */
export function patchBank(scenesPerSplit: number, seed: number, patch = 8, size = 64): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const split of ['train', 'heldout'] as const) {
    const rng = Rng.world(seed + (split === 'train' ? 101 : 202));
    for (let i = 0; i < scenesPerSplit; i++) {
      const img = renderScene(sampleScene(rng, split)).data;
      for (let py = 0; py < size / patch; py++)
        for (let px = 0; px < size / patch; px++) {
          const tile = new Uint8Array(patch * patch * 3);
          for (let y = 0; y < patch; y++) {
            const from = ((py * patch + y) * size + px * patch) * 3;
            tile.set(img.subarray(from, from + patch * 3), y * patch * 3);
          }
          const key = Buffer.from(tile).toString('latin1');
          if (!seen.has(key)) seen.set(key, tile);
        }
    }
  }
  return [...seen.values()];
}

/** An image made of grid x grid tiles (row-major). */
export function mosaic(tiles: readonly Uint8Array[], patch = 8, size = 64): Uint8Array {
  const g = size / patch;
  if (tiles.length !== g * g) throw new Error(`mosaic: ${tiles.length} tiles for a ${g}x${g} grid`);
  const img = new Uint8Array(size * size * 3);
  tiles.forEach((tile, i) => {
    const py = Math.floor(i / g);
    const px = i % g;
    for (let y = 0; y < patch; y++)
      img.set(tile.subarray(y * patch * 3, (y + 1) * patch * 3), ((py * patch + y) * size + px * patch) * 3);
  });
  return img;
}

/**
 * Training images for the patch tokenizer: mosaics of tiles drawn uniformly from the patch bank (so a tile
 * seen once in 20,000 scenes, such as a character's eye, counts as much as the background), and a share of
 * train-split emoji images. With the 'patch' architecture each tile is encoded on its own, so a mosaic
 * teaches exactly what a scene does.
 */
export function patchMosaicSource(
  bank: readonly Uint8Array[],
  seed: number,
  emojiFraction: number,
  patch = 8,
  size = 64,
): ImageSource {
  const rng = Rng.world(seed);
  const g2 = (size / patch) ** 2;
  let emoji: Uint8Array[] | null = null;
  return {
    batch(n: number): Uint8Array[] {
      return Array.from({ length: n }, () => {
        if (emojiFraction > 0 && rng.next() < emojiFraction) {
          emoji ??= sampleEmoji(600, seed + 1, 'train');
          return rng.pick(emoji);
        }
        return mosaic(
          Array.from({ length: g2 }, () => rng.pick(bank)),
          patch,
          size,
        );
      });
    },
  };
}

/** The default training data of the 'patch' tokenizer: mosaics over the patch bank (plus emoji), and the
 *  images that initialise its codebook: every bank tile at its own position, then emoji tiles. */
export function patchTrainingData(
  seed: number,
  emojiFraction: number,
): { source: ImageSource; initImages: Uint8Array[] } {
  const bank = patchBank(3000, seed);
  const initImages: Uint8Array[] = [];
  for (let i = 0; i < bank.length; i += 64)
    initImages.push(mosaic(Array.from({ length: 64 }, (_, j) => bank[i + j] ?? bank[0])));
  initImages.push(...sampleEmoji(32, seed + 5, 'train'));
  return { source: patchMosaicSource(bank, seed, emojiFraction), initImages };
}
