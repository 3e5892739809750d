// Single edits of a scene: what they change (applyEdit), which pixels they may touch (editRegions), how
// a user would ask for them (editInstruction), and a seeded sampler of valid edits (sampleEdit).

import type { Rng } from '../../tensor/index.js';
import { accessoryRect, cellRect, fullRect, signRect } from './render.js';
import { type Split, sampleObject, sampleWord, sceneSplit } from './sample.js';
import {
  cloneScene,
  normalizeScene,
  objectPhrase,
  occupiedCells,
  type Rect,
  type Scene,
  type SceneObject,
} from './scene.js';
import {
  ACCESSORIES,
  type Accessory,
  BACKGROUNDS,
  type Background,
  CELL_NAMES,
  OBJECT_COLORS,
  type ObjectColor,
  type Size,
} from './spec.js';

export type Edit =
  | { op: 'recolor'; cell: number; color: ObjectColor }
  | { op: 'move'; from: number; to: number }
  | { op: 'add'; object: SceneObject }
  | { op: 'remove'; cell: number }
  | { op: 'resize'; cell: number; size: Size }
  | { op: 'word'; word: string }
  | { op: 'background'; background: Background }
  | { op: 'accessory'; accessory: Accessory };

export const EDIT_OPS = ['recolor', 'move', 'add', 'remove', 'resize', 'word', 'background', 'accessory'] as const;

function objectAt(s: Scene, cell: number): SceneObject {
  const o = s.objects.find((x) => x.cell === cell);
  if (!o) throw new Error(`edit: no object at cell ${cell}`);
  return o;
}

/** Applies an edit to a copy of the scene. Throws when the edit does not fit the scene. */
export function applyEdit(scene: Scene, e: Edit): Scene {
  const s = cloneScene(scene);
  switch (e.op) {
    case 'recolor':
      objectAt(s, e.cell).color = e.color;
      break;
    case 'resize':
      objectAt(s, e.cell).size = e.size;
      break;
    case 'move':
      if (occupiedCells(s).has(e.to)) throw new Error(`edit: cell ${e.to} is occupied`);
      if (s.character?.cell === e.from) s.character.cell = e.to;
      else objectAt(s, e.from).cell = e.to;
      break;
    case 'add':
      if (occupiedCells(s).has(e.object.cell)) throw new Error(`edit: cell ${e.object.cell} is occupied`);
      s.objects.push({ ...e.object });
      break;
    case 'remove':
      s.objects = s.objects.filter((o) => o.cell !== e.cell);
      break;
    case 'word':
      s.sign = e.word;
      break;
    case 'background':
      s.background = e.background;
      break;
    case 'accessory':
      if (!s.character) throw new Error('edit: no character');
      s.character.accessory = e.accessory;
      break;
  }
  return normalizeScene(s);
}

/** The pixel rectangles an edit may change; everything outside must stay as it was. */
export function editRegions(scene: Scene, e: Edit): Rect[] {
  switch (e.op) {
    case 'recolor':
    case 'resize':
    case 'remove':
      return [cellRect(e.cell)];
    case 'move':
      return [cellRect(e.from), cellRect(e.to)];
    case 'add':
      return [cellRect(e.object.cell)];
    case 'word':
      return [signRect()];
    case 'background':
      return [fullRect()];
    case 'accessory':
      return [accessoryRect(scene.character!.cell)];
  }
}

/** How to name an object so that it is unambiguous in its scene. */
export function refer(scene: Scene, o: SceneObject): string {
  const same = scene.objects.filter((x) => objectPhrase(x) === objectPhrase(o));
  return same.length > 1 ? `the ${objectPhrase(o)} at the ${CELL_NAMES[o.cell]}` : `the ${objectPhrase(o)}`;
}

export function editInstruction(scene: Scene, e: Edit): string {
  switch (e.op) {
    case 'recolor':
      return `make ${refer(scene, objectAt(scene, e.cell))} ${e.color}`;
    case 'resize':
      return `make ${refer(scene, objectAt(scene, e.cell))} ${e.size}`;
    case 'remove':
      return `remove ${refer(scene, objectAt(scene, e.cell))}`;
    case 'move': {
      const what = scene.character?.cell === e.from ? 'the character' : refer(scene, objectAt(scene, e.from));
      return `move ${what} to the ${CELL_NAMES[e.to]}`;
    }
    case 'add':
      return `add a ${objectPhrase(e.object)} at the ${CELL_NAMES[e.object.cell]}`;
    case 'word':
      return scene.sign ? `change the sign to say ${e.word}` : `put up a sign that says ${e.word}`;
    case 'background':
      return `change the background to ${e.background}`;
    case 'accessory':
      return e.accessory === 'none'
        ? `take off the character's ${scene.character!.accessory}`
        : `give the character a ${e.accessory}`;
  }
}

/** The ops that fit a scene (e.g. no 'accessory' without a character). */
export function possibleOps(s: Scene): Edit['op'][] {
  const free = 9 - occupiedCells(s).size;
  return EDIT_OPS.filter((op) => {
    if (op === 'recolor' || op === 'resize' || op === 'remove') return s.objects.length > 0;
    if (op === 'move') return (s.objects.length > 0 || s.character !== null) && free > 0;
    if (op === 'add') return free > 0;
    if (op === 'accessory') return s.character !== null;
    return true;
  });
}

function freeCells(s: Scene): number[] {
  const used = occupiedCells(s);
  return [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((c) => !used.has(c));
}

/** A random edit that changes the scene and keeps it in the split; `ops` restricts the kinds. */
export function sampleEdit(rng: Rng, scene: Scene, split: Split, ops?: readonly Edit['op'][]): Edit {
  const allowed = possibleOps(scene).filter((op) => !ops || ops.includes(op));
  if (allowed.length === 0) throw new Error('sampleEdit: no edit fits this scene');
  for (let tries = 0; tries < 200; tries++) {
    const op = rng.pick(allowed);
    let e: Edit;
    if (op === 'recolor') {
      const o = rng.pick(scene.objects);
      e = { op, cell: o.cell, color: rng.pick(OBJECT_COLORS.filter((c) => c !== o.color)) };
    } else if (op === 'resize') {
      const o = rng.pick(scene.objects);
      e = { op, cell: o.cell, size: o.size === 'small' ? 'large' : 'small' };
    } else if (op === 'remove') e = { op, cell: rng.pick(scene.objects).cell };
    else if (op === 'move') {
      const movable = scene.objects.map((o) => o.cell).concat(scene.character ? [scene.character.cell] : []);
      e = { op, from: rng.pick(movable), to: rng.pick(freeCells(scene)) };
    } else if (op === 'add') e = { op, object: sampleObject(rng, rng.pick(freeCells(scene)), split) };
    else if (op === 'word') e = { op, word: sampleWord(rng, split) };
    else if (op === 'background') e = { op, background: rng.pick(BACKGROUNDS.filter((b) => b !== scene.background)) };
    else e = { op, accessory: rng.pick(ACCESSORIES.filter((a) => a !== scene.character!.accessory)) };
    if (e.op === 'word' && e.word === scene.sign) continue;
    const after = applyEdit(scene, e);
    // Train edits stay in train; held-out edits may pass through train scenes, the task checks its own split.
    if (split === 'train' && sceneSplit(after) !== 'train') continue;
    return e;
  }
  throw new Error('sampleEdit: no valid edit found in 200 tries');
}
