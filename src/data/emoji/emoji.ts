// Real images: the emoji sets shipped by the npm package `emoji-datasource` (emoji.json plus 32-px
// sprite sheets for several vendors), loaded offline from node_modules. We use only the openly licensed
// vendors: Twitter (Twemoji, CC-BY 4.0) and Google (Noto Emoji, Apache 2.0). See docs/data.md.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../../tensor/index.js';
import { fitOnBackground, type RgbaImage, readPngRgba } from '../png.js';
import { modelImage, modelText, type TaskItem, userImage, userText } from '../sequence.js';
import { hash32 } from '../world/rng.js';
import type { RgbImage } from '../world/scene.js';
import { IMAGE_SIZE } from '../world/spec.js';

export const EMOJI_VENDORS = ['twitter', 'google'] as const;
export type EmojiVendor = (typeof EMOJI_VENDORS)[number];
export const EMOJI_SHEET_SIZE = 32;

export const SKIN_TONES = [
  { code: '1F3FB', name: 'light' },
  { code: '1F3FC', name: 'medium-light' },
  { code: '1F3FD', name: 'medium' },
  { code: '1F3FE', name: 'medium-dark' },
  { code: '1F3FF', name: 'dark' },
] as const;

export interface EmojiImageRef {
  unified: string;
  sheetX: number;
  sheetY: number;
  vendors: EmojiVendor[];
}

export interface EmojiRecord extends EmojiImageRef {
  name: string;
  shortNames: string[];
  category: string;
  subcategory: string;
  /** Skin-tone variants (tone index into SKIN_TONES), empty when the emoji has none. */
  skins: (EmojiImageRef & { tone: number })[];
}

/** The directory of the installed `emoji-datasource` package. */
export function emojiPackageRoot(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('emoji-datasource/package.json'));
}

interface RawImage {
  unified: string;
  sheet_x: number;
  sheet_y: number;
  [key: string]: unknown;
}

function vendorsOf(raw: RawImage): EmojiVendor[] {
  return EMOJI_VENDORS.filter((v) => raw[`has_img_${v}`] === true);
}

/** Reads emoji.json (from the package, or `root` for a fixture) into records. */
export function loadEmojiIndex(root = emojiPackageRoot()): EmojiRecord[] {
  const raw = JSON.parse(readFileSync(join(root, 'emoji.json'), 'utf8')) as (RawImage & {
    name: string | null;
    short_names: string[];
    category: string;
    subcategory: string;
    skin_variations?: Record<string, RawImage>;
  })[];
  return raw.map((e) => ({
    unified: e.unified,
    sheetX: e.sheet_x,
    sheetY: e.sheet_y,
    vendors: vendorsOf(e),
    name: (e.name ?? e.short_names[0] ?? e.unified).toLowerCase(),
    shortNames: e.short_names,
    category: e.category,
    subcategory: e.subcategory,
    skins: Object.entries(e.skin_variations ?? {})
      .map(([code, s]) => ({
        tone: SKIN_TONES.findIndex((t) => t.code === code),
        unified: s.unified,
        sheetX: s.sheet_x,
        sheetY: s.sheet_y,
        vendors: vendorsOf(s),
      }))
      .filter((s) => s.tone >= 0),
  }));
}

/** Cuts emoji out of a vendor's 32-px sheet; each image sits in a 34-px square with a 1-px border. */
export class EmojiSheets {
  private readonly sheets = new Map<EmojiVendor, RgbaImage>();
  constructor(private readonly root = emojiPackageRoot()) {}

  sheetPath(vendor: EmojiVendor): string {
    return join(this.root, 'img', vendor, 'sheets', `${EMOJI_SHEET_SIZE}.png`);
  }

  private sheet(vendor: EmojiVendor): RgbaImage {
    let s = this.sheets.get(vendor);
    if (!s) {
      const path = this.sheetPath(vendor);
      if (!existsSync(path)) throw new Error(`emoji: ${path} is missing; HINT: npm install emoji-datasource`);
      s = readPngRgba(path);
      this.sheets.set(vendor, s);
    }
    return s;
  }

  /** The emoji at the model's image size: box-filtered into `box` px, centred on a flat background. */
  image(
    vendor: EmojiVendor,
    ref: EmojiImageRef,
    bg: readonly number[] = [255, 255, 255],
    size = IMAGE_SIZE,
    box = 56,
  ): RgbImage {
    const sheet = this.sheet(vendor);
    const cell = EMOJI_SHEET_SIZE + 2;
    const x0 = ref.sheetX * cell + 1;
    const y0 = ref.sheetY * cell + 1;
    if (x0 + EMOJI_SHEET_SIZE > sheet.width || y0 + EMOJI_SHEET_SIZE > sheet.height)
      throw new Error(
        `emoji: ${ref.unified} at sheet (${ref.sheetX}, ${ref.sheetY}) is outside the ${sheet.width}x${sheet.height} sheet`,
      );
    const crop = new Uint8Array(EMOJI_SHEET_SIZE * EMOJI_SHEET_SIZE * 4);
    for (let y = 0; y < EMOJI_SHEET_SIZE; y++) {
      const s = ((y0 + y) * sheet.width + x0) * 4;
      crop.set(sheet.data.subarray(s, s + EMOJI_SHEET_SIZE * 4), y * EMOJI_SHEET_SIZE * 4);
    }
    return fitOnBackground({ width: EMOJI_SHEET_SIZE, height: EMOJI_SHEET_SIZE, data: crop }, size, bg, box);
  }
}

/** Held-out emoji: a pure function of the code point sequence (1 in 10). */
export function isHeldoutEmoji(e: EmojiRecord): boolean {
  return hash32(`emoji:${e.unified}`) % 10 === 0;
}

export function emojiCaption(e: EmojiRecord, vendor: EmojiVendor): string {
  const alias = e.shortNames.filter((s) => s.replace(/_/g, ' ') !== e.name).map((s) => s.replace(/_/g, ' '));
  const also = alias.length > 0 ? ` (also called ${alias.join(', ')})` : '';
  return `an emoji of ${e.name}${also}, ${e.category.toLowerCase()}, in the ${vendor} style`;
}

/**
 * A sample of emoji task items: captions, skin-tone edits ("make the skin tone darker") and vendor
 * style edits (the same emoji drawn by the other vendor).
 */
export function emojiItems(
  n: number,
  seed: number,
  opts: { root?: string; split?: 'train' | 'heldout' } = {},
): TaskItem[] {
  const split = opts.split ?? 'train';
  const records = loadEmojiIndex(opts.root).filter(
    (e) => e.vendors.length > 0 && isHeldoutEmoji(e) === (split === 'heldout'),
  );
  if (records.length === 0) throw new Error('emoji: no emoji with openly licensed images in the index');
  const sheets = new EmojiSheets(opts.root);
  const rng = Rng.world(seed);
  const items: TaskItem[] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.pick(['caption', 'skin', 'vendor']);
    const id = `emoji-${split}-${seed}-${i}`;
    const withSkins = records.filter((e) => e.skins.some((s) => s.vendors.length > 0));
    const both = records.filter((e) => EMOJI_VENDORS.every((v) => e.vendors.includes(v)));
    if (kind === 'skin' && withSkins.length > 0) {
      const e = rng.pick(withSkins);
      const skins = e.skins.filter((s) => s.vendors.length > 0);
      const [a, b] = rng.shuffled(skins);
      if (a && b) {
        const vendor = rng.pick(a.vendors.filter((v) => b.vendors.includes(v)).concat(a.vendors)) as EmojiVendor;
        const dir = b.tone > a.tone ? 'darker' : 'lighter';
        const instr = `make the skin tone ${dir} (${SKIN_TONES[b.tone].name})`;
        items.push({
          id,
          task: 'emoji_edit',
          split,
          segments: [
            userImage({ pixels: sheets.image(vendor, a) }),
            userText(instr),
            modelImage({ pixels: sheets.image(vendor, b) }),
          ],
        });
        continue;
      }
    }
    if (kind === 'vendor' && both.length > 0) {
      const e = rng.pick(both);
      const [from, to] = rng.shuffled(EMOJI_VENDORS);
      items.push({
        id,
        task: 'emoji_edit',
        split,
        segments: [
          userImage({ pixels: sheets.image(from, e) }),
          userText(`redraw this emoji in the ${to} style`),
          modelImage({ pixels: sheets.image(to, e) }),
        ],
      });
      continue;
    }
    const e = rng.pick(records);
    const vendor = rng.pick(e.vendors);
    const cap = emojiCaption(e, vendor);
    items.push({
      id,
      task: 'emoji_caption',
      split,
      segments: [
        userImage({ pixels: sheets.image(vendor, e) }),
        userText('describe the image.'),
        modelText(cap, { type: 'text', answer: cap }),
      ],
    });
  }
  return items;
}
