// The scene world's constants: image size, token patch, palette, shapes, sizes, layout, font, characters,
// the held-out split. Everything else (renderer, sampler, verifier, tasks) reads from here, and
// `tessera world spec --json` prints worldSpec() so that anyone can write an independent checker.
import { characterArt } from './character.js';
import { GLYPH_H, GLYPH_W, glyphStrings } from './font.js';

/** Image side in pixels, and the VQ token patch side: 64 / 8 = an 8x8 grid of 64 image tokens. */
export const IMAGE_SIZE = 64;
export const PATCH = 8;
export const TOKENS_PER_SIDE = IMAGE_SIZE / PATCH;

export const PALETTE = Object.freeze({
  red: [230, 25, 40],
  orange: [245, 130, 20],
  yellow: [250, 220, 30],
  green: [40, 170, 60],
  blue: [30, 90, 230],
  purple: [140, 50, 190],
  pink: [250, 140, 200],
  brown: [130, 80, 40],
  white: [255, 255, 255],
  gray: [150, 150, 150],
  black: [20, 20, 20],
  skin: [255, 210, 150],
} as const);
export type PaletteName = keyof typeof PALETTE;
export const PALETTE_NAMES = Object.keys(PALETTE) as PaletteName[];

export const OBJECT_COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'brown'] as const;
export type ObjectColor = (typeof OBJECT_COLORS)[number];
export const BACKGROUNDS = ['white', 'gray', 'black'] as const;
export type Background = (typeof BACKGROUNDS)[number];

export const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export type Shape = (typeof SHAPES)[number];
export const SIZES = ['small', 'large'] as const;
export type Size = (typeof SIZES)[number];
/** Side of an object's bounding box in pixels. */
export const SIZE_PX: Readonly<Record<Size, number>> = { small: 8, large: 14 };

/** The 3x3 grid: cell i is row floor(i/3), column i%3; each cell is 2x2 patches (16 px), grid at (8, 8). */
export const GRID_ORIGIN = 8;
export const CELL = 16;
export const CELL_NAMES = [
  'top left',
  'top',
  'top right',
  'left',
  'center',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
] as const;

/** The sign: the bottom patch row (y 56..63); one letter per patch, plate brown, ink yellow
// (a color no background has, so a blurred letter edge never looks like ink). */
export const SIGN_Y = 56;
export const SIGN_PLATE: PaletteName = 'brown';
export const SIGN_INK: PaletteName = 'yellow';
/** Offset of the 5x7 glyph inside its 8x8 patch. */
export const GLYPH_DX = 1;
export const GLYPH_DY = 0;
export const WORD_MIN = 2;
export const WORD_MAX = 5;
/** First patch column of an n-letter word: centred, rounded left. */
export function signStartCol(n: number): number {
  return Math.floor((TOKENS_PER_SIDE - n) / 2);
}

export const WORDS = [
  'HI', 'GO', 'NO', 'UP', 'OK', 'CAT', 'DOG', 'SUN', 'MAP', 'BOX', 'HAT', 'CUP', 'BUS', 'KEY', 'PEN', 'FOX',
  'OWL', 'BEE', 'ANT', 'EGG', 'JAM', 'TOY', 'RUN', 'YES', 'BIG', 'RED', 'SKY', 'ZOO', 'WEB', 'ART', 'VAN',
  'STOP', 'OPEN', 'FISH', 'BIRD', 'FROG', 'CAKE', 'MOON', 'STAR', 'TREE', 'SHIP', 'BOOK', 'LAMP', 'DOOR',
  'HOME', 'ROAD', 'PARK', 'MILK', 'RAIN', 'SNOW', 'WIND', 'QUIZ', 'VOTE', 'APPLE', 'HOUSE', 'TRAIN', 'PLANT',
  'CLOUD', 'LIGHT', 'WATER', 'MUSIC', 'BREAD', 'CHAIR', 'ZEBRA', 'QUEEN', 'JUMPY',
] as const; // biome-ignore format: a word list reads best packed

/** Characters: identity traits (must survive edits) and an accessory (editable). Layout in cell pixels. */
export const FACES = ['round', 'square'] as const;
export type Face = (typeof FACES)[number];
export const EYE_COLORS = ['blue', 'green', 'brown'] as const;
export type EyeColor = (typeof EYE_COLORS)[number];
export const BODY_COLORS = ['red', 'orange', 'green', 'blue', 'purple', 'pink'] as const;
export type BodyColor = (typeof BODY_COLORS)[number];
export const ACCESSORIES = ['none', 'hat', 'crown', 'bow'] as const;
export type Accessory = (typeof ACCESSORIES)[number];
export const ACCESSORY_COLOR: Readonly<Record<Exclude<Accessory, 'none'>, PaletteName>> = {
  hat: 'blue',
  crown: 'yellow',
  bow: 'red',
};
export const CHARACTER_LAYOUT = Object.freeze({
  accessoryRows: [0, 3],
  face: {
    rows: [4, 10],
    cols: [3, 12],
    color: 'skin',
    roundCutCorners: 'rows 4 and 10 lose 2 px each side, rows 5 and 9 lose 1',
  },
  eyes: {
    rows: [6, 7],
    cols: [
      [5, 6],
      [9, 10],
    ],
  },
  body: { rows: [11, 15], cols: [4, 11] },
});

/** Held-out combinations: never in the train split, at least one in every held-out scene. */
export const HELDOUT_PAIRS: readonly (readonly [ObjectColor, Shape])[] = [
  ['red', 'triangle'],
  ['orange', 'cross'],
  ['yellow', 'square'],
  ['green', 'cross'],
  ['blue', 'circle'],
  ['purple', 'triangle'],
  ['pink', 'circle'],
  ['brown', 'square'],
];
export const HELDOUT_WORDS: readonly string[] = ['OWL', 'JAM', 'WEB', 'FROG', 'LAMP', 'SNOW', 'CLOUD', 'ZEBRA', 'GO'];
export const HELDOUT_IDENTITIES: readonly string[] = [
  'round/green/blue',
  'square/blue/red',
  'round/brown/purple',
  'square/green/orange',
  'round/blue/pink',
  'square/brown/green',
];

export function isHeldoutPair(color: string, shape: string): boolean {
  return HELDOUT_PAIRS.some(([c, s]) => c === color && s === shape);
}
export function isHeldoutWord(word: string): boolean {
  return HELDOUT_WORDS.includes(word);
}
export function identityKey(id: { face: Face; eyes: EyeColor; body: BodyColor }): string {
  return `${id.face}/${id.eyes}/${id.body}`;
}
export function isHeldoutIdentity(id: { face: Face; eyes: EyeColor; body: BodyColor }): boolean {
  return HELDOUT_IDENTITIES.includes(identityKey(id));
}

/** The machine-readable spec: everything an independent renderer or checker needs. */
export function worldSpec() {
  return {
    version: 1,
    image: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 'RGB', patch: PATCH, tokens: TOKENS_PER_SIDE ** 2 },
    palette: PALETTE,
    objectColors: OBJECT_COLORS,
    backgrounds: BACKGROUNDS,
    shapes: {
      names: SHAPES,
      masks: {
        circle: 'pixel (x,y) of an s x s box is in when (x+0.5-s/2)^2 + (y+0.5-s/2)^2 <= (s/2)^2',
        square: 'all s x s pixels',
        triangle: 'apex up; row y has width 2*ceil((y+1)/2), centred',
        cross: 'plus sign; vertical and horizontal bars of width 2 (small) or 4 (large), centred',
      },
    },
    sizes: SIZE_PX,
    grid: { origin: [GRID_ORIGIN, GRID_ORIGIN], cell: CELL, cells: CELL_NAMES, objectPlacement: 'centred in its cell' },
    sign: {
      y: SIGN_Y,
      plate: SIGN_PLATE,
      ink: SIGN_INK,
      patch: PATCH,
      glyph: { width: GLYPH_W, height: GLYPH_H, dx: GLYPH_DX, dy: GLYPH_DY },
      startColumn: 'floor((8 - letters) / 2); the plate covers exactly the word patches',
      wordLength: [WORD_MIN, WORD_MAX],
      words: WORDS,
      font: glyphStrings(),
    },
    character: {
      faces: FACES,
      eyeColors: EYE_COLORS,
      bodyColors: BODY_COLORS,
      accessories: ACCESSORIES,
      accessoryColors: ACCESSORY_COLOR,
      identity: ['face', 'eyes', 'body'],
      layout: CHARACTER_LAYOUT,
      art: {
        legend: "'.' background, 's' skin, 'e' eye color, 'b' body color, 'a' accessory color; row 0 is the cell's top",
        faces: Object.fromEntries(FACES.map((f) => [f, characterArt(f, 'none')])),
        accessories: Object.fromEntries(ACCESSORIES.map((a) => [a, characterArt('square', a).slice(0, 4)])),
      },
    },
    heldout: { pairs: HELDOUT_PAIRS, words: HELDOUT_WORDS, identities: HELDOUT_IDENTITIES },
  };
}
