// Scenes as plain data: the types every part of the data layer shares, plus small helpers
// (cloning, a canonical order, captions). A scene is what the renderer draws and the verifier recovers.
import {
  type Accessory,
  type Background,
  type BodyColor,
  CELL_NAMES,
  type EyeColor,
  type Face,
  type ObjectColor,
  type Shape,
  type Size,
} from './spec.js';

/** An RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface SceneObject {
  shape: Shape;
  color: ObjectColor;
  size: Size;
  /** 0..8, row-major over the 3x3 grid. */
  cell: number;
}

export interface Identity {
  face: Face;
  eyes: EyeColor;
  body: BodyColor;
}

export interface Character extends Identity {
  accessory: Accessory;
  cell: number;
}

export interface Scene {
  background: Background;
  /** Sorted by cell; at most one object per cell, never in the character's cell. */
  objects: SceneObject[];
  /** 2-5 capital letters on the sign, or null for no sign. */
  sign: string | null;
  character: Character | null;
}

/** A rectangle in pixels: x, y inclusive, w, h extents. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function cloneScene(s: Scene): Scene {
  return {
    background: s.background,
    objects: s.objects.map((o) => ({ ...o })),
    sign: s.sign,
    character: s.character ? { ...s.character } : null,
  };
}

/** Sorts objects by cell, in place, and returns the scene. */
export function normalizeScene(s: Scene): Scene {
  s.objects.sort((a, b) => a.cell - b.cell);
  return s;
}

export function occupiedCells(s: Scene): Set<number> {
  const used = new Set(s.objects.map((o) => o.cell));
  if (s.character) used.add(s.character.cell);
  return used;
}

export function objectPhrase(o: Pick<SceneObject, 'shape' | 'color' | 'size'>): string {
  return `${o.size} ${o.color} ${o.shape}`;
}

export function characterPhrase(c: Character): string {
  const acc = c.accessory === 'none' ? '' : ` wearing a ${c.accessory}`;
  return `a ${c.face}-faced character with ${c.eyes} eyes and a ${c.body} body${acc}`;
}

/** The canonical caption: objects in cell order, then the character, then the sign, then the background. */
export function caption(s: Scene): string {
  const parts = s.objects.map((o) => `a ${objectPhrase(o)} at the ${CELL_NAMES[o.cell]}`);
  if (s.character) parts.push(`${characterPhrase(s.character)} at the ${CELL_NAMES[s.character.cell]}`);
  if (s.sign) parts.push(`a sign that says ${s.sign}`);
  const list =
    parts.length <= 1 ? (parts[0] ?? 'nothing') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `${list}, on a ${s.background} background`;
}

/** The t2i prompt: the caption with a leading verb. */
export function describePrompt(s: Scene): string {
  return `draw ${caption(s)}`;
}
