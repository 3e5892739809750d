// Images for training and evaluating the image tokenizer: scenes of the world (seeded, by split) and
// emoji of the openly licensed vendors (by the emoji held-out split), as HWC RGB bytes.
import {
  EMOJI_VENDORS,
  EmojiSheets,
  type EmojiVendor,
  isHeldoutEmoji,
  loadEmojiIndex,
  PALETTE,
  Rng,
  renderScene,
  type Scene,
  type Split,
  sampleScene,
} from '../../data/index.js';

export interface ImageSource {
  batch(n: number): Uint8Array[];
}

/** n scenes of a split with their renders (for the verifier). */
export function sampleScenes(n: number, seed: number, split: Split): { scene: Scene; pixels: Uint8Array }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const scene = sampleScene(rng, split);
    return { scene, pixels: renderScene(scene).data };
  });
}

/** n emoji images of a split (random vendor, on white, gray or black). */
export function sampleEmoji(n: number, seed: number, split: Split): Uint8Array[] {
  const rng = new Rng(seed);
  const records = loadEmojiIndex().filter((e) => e.vendors.length > 0 && isHeldoutEmoji(e) === (split === 'heldout'));
  const sheets = new EmojiSheets();
  const bgs = [PALETTE.white, PALETTE.gray, PALETTE.black];
  return Array.from({ length: n }, () => {
    const e = rng.pick(records);
    const vendor = rng.pick(e.vendors) as EmojiVendor;
    return sheets.image(vendor, e, rng.int(0, 9) < 7 ? PALETTE.white : rng.pick(bgs)).data;
  });
}

/** Train-split scenes mixed with a share of train-split emoji (a pool sampled once, reused). */
export function sceneEmojiSource(seed: number, emojiFraction: number, imageSize: number): ImageSource {
  const rng = new Rng(seed);
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
