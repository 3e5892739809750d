// The deterministic renderer: scene -> 64x64 RGB image, flat palette colors, no anti-aliasing,
// objects and sign letters aligned to the 8-px token patches. Also the pixel regions edits touch.
import { characterArt } from './character.js';
import { GLYPH_H, GLYPH_W, GLYPHS } from './font.js';
import type { Character, Rect, RgbImage, Scene } from './scene.js';
import {
  ACCESSORY_COLOR,
  CELL,
  GLYPH_DX,
  GLYPH_DY,
  GRID_ORIGIN,
  IMAGE_SIZE,
  PALETTE,
  PATCH,
  type PaletteName,
  type Shape,
  SIGN_INK,
  SIGN_PLATE,
  SIGN_Y,
  SIZE_PX,
  signStartCol,
} from './spec.js';

export function blankImage(width: number, height: number, rgb: readonly number[] = [0, 0, 0]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const [r, g, b] = [rgb[0] ?? 0, rgb[1] ?? 0, rgb[2] ?? 0];
  if (r !== 0 || g !== 0 || b !== 0)
    for (let i = 0; i < data.length; i += 3) {
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  return { width, height, data };
}

export function cloneImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

function setPx(img: RgbImage, x: number, y: number, rgb: readonly number[]): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  img.data.set(rgb, (y * img.width + x) * 3);
}

/** An s x s boolean mask of a shape, row-major (see worldSpec().shapes.masks). */
export function shapeMask(shape: Shape, s: number): boolean[] {
  const m = new Array<boolean>(s * s).fill(false);
  const arm = s <= 8 ? 2 : 4;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      let on = false;
      if (shape === 'square') on = true;
      else if (shape === 'circle') on = (x + 0.5 - s / 2) ** 2 + (y + 0.5 - s / 2) ** 2 <= (s / 2) ** 2;
      else if (shape === 'triangle') {
        const w = 2 * Math.ceil((y + 1) / 2);
        on = x >= (s - w) / 2 && x < (s + w) / 2;
      } else {
        const inV = x >= (s - arm) / 2 && x < (s + arm) / 2;
        const inH = y >= (s - arm) / 2 && y < (s + arm) / 2;
        on = inV || inH;
      }
      m[y * s + x] = on;
    }
  }
  return m;
}

/** Top-left pixel of a grid cell. */
export function cellOrigin(cell: number): { x: number; y: number } {
  return { x: GRID_ORIGIN + (cell % 3) * CELL, y: GRID_ORIGIN + Math.floor(cell / 3) * CELL };
}

export function cellRect(cell: number): Rect {
  const o = cellOrigin(cell);
  return { x: o.x, y: o.y, w: CELL, h: CELL };
}

export function signRect(): Rect {
  return { x: 0, y: SIGN_Y, w: IMAGE_SIZE, h: PATCH };
}

export function accessoryRect(cell: number): Rect {
  const o = cellOrigin(cell);
  return { x: o.x, y: o.y, w: CELL, h: 4 };
}

export function fullRect(): Rect {
  return { x: 0, y: 0, w: IMAGE_SIZE, h: IMAGE_SIZE };
}

function drawCharacter(img: RgbImage, c: Character): void {
  const o = cellOrigin(c.cell);
  const art = characterArt(c.face, c.accessory);
  const colors: Record<string, readonly number[]> = {
    s: PALETTE.skin,
    e: PALETTE[c.eyes],
    b: PALETTE[c.body],
    a: c.accessory === 'none' ? PALETTE.skin : PALETTE[ACCESSORY_COLOR[c.accessory]],
  };
  for (let r = 0; r < CELL; r++)
    for (let col = 0; col < CELL; col++) {
      const ch = art[r][col];
      if (ch !== '.') setPx(img, o.x + col, o.y + r, colors[ch]);
    }
}

function drawSign(img: RgbImage, word: string): void {
  const start = signStartCol(word.length);
  const plate = PALETTE[SIGN_PLATE as PaletteName];
  const ink = PALETTE[SIGN_INK as PaletteName];
  for (let i = 0; i < word.length; i++) {
    const px = (start + i) * PATCH;
    for (let y = 0; y < PATCH; y++) for (let x = 0; x < PATCH; x++) setPx(img, px + x, SIGN_Y + y, plate);
    const glyph = GLYPHS[word[i]];
    if (!glyph) throw new Error(`render: no glyph for '${word[i]}' in sign word '${word}'`);
    for (let gy = 0; gy < GLYPH_H; gy++)
      for (let gx = 0; gx < GLYPH_W; gx++)
        if (glyph[gy][gx]) setPx(img, px + GLYPH_DX + gx, SIGN_Y + GLYPH_DY + gy, ink);
  }
}

/** Draws a scene. Pure: the same scene always gives the same bytes. */
export function renderScene(scene: Scene): RgbImage {
  const img = blankImage(IMAGE_SIZE, IMAGE_SIZE, PALETTE[scene.background]);
  for (const o of scene.objects) {
    const s = SIZE_PX[o.size];
    const origin = cellOrigin(o.cell);
    const off = (CELL - s) / 2;
    const mask = shapeMask(o.shape, s);
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++)
        if (mask[y * s + x]) setPx(img, origin.x + off + x, origin.y + off + y, PALETTE[o.color]);
  }
  if (scene.character) drawCharacter(img, scene.character);
  if (scene.sign) drawSign(img, scene.sign);
  return img;
}

export { characterArt };
