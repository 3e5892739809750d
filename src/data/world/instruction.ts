// A tolerant reader of edit instructions, the companion of prompt.ts: "turn the big red circle blue",
// "delete the square", "move the character to the upper right", "put a small green cross in the middle",
// "make the sign say MOON", "switch the background to black", "take the hat off". It gives back the
// trained phrasing (editInstruction in edits.ts) and, when the scene being edited is known (e.g. parsed
// from the input image by the verifier), the Edit itself with the object resolved to its cell.
import { applyEdit, type Edit, editInstruction } from './edits.js';
import {
  FILLERS,
  leftovers,
  type Notes,
  promptForModel,
  refuse,
  type Token,
  takePositions,
  tokenize,
  unknownNotice,
} from './prompt.js';
import { objectPhrase, type RgbImage, type Scene, type SceneObject } from './scene.js';
import {
  ACCESSORIES,
  type Accessory,
  BACKGROUNDS,
  type Background,
  CELL_NAMES,
  OBJECT_COLORS,
  type ObjectColor,
  SHAPES,
  type Shape,
  type Size,
  WORD_MAX,
  WORD_MIN,
} from './spec.js';
import { parseImage } from './verify.js';

export interface InstructionParse {
  /** The edit, when a scene was given and the instruction fits it; else null. */
  edit: Edit | null;
  /** The trained phrasing of the instruction, or null when it could not be read. */
  canonical: string | null;
  unknown: string[];
  notices: string[];
  /** Every word understood and the edit well defined: safe to send `canonical`. */
  complete: boolean;
}

/** What an instruction names: a shape with some of its attributes, or the character. */
interface Ref {
  shape?: Shape;
  color?: ObjectColor;
  size?: Size;
  cell?: number;
  character: boolean;
  /** "it", "this", "that one": whatever the scene has one of (one shape, or the character alone). */
  pronoun?: boolean;
}

const PRONOUNS = ['it', 'this', 'that'];

const isIn = <T extends string>(xs: readonly T[], t: string): t is T => (xs as readonly string[]).includes(t);
const sizeWord = (t: string): Size | undefined =>
  t === 'small' || t === 'smaller' ? 'small' : t === 'large' || t === 'larger' ? 'large' : undefined;

/** The first shape (with the colour/size words right before it) or "character" in toks[from..]. */
function takeRef(toks: Token[], from: number): Ref & { at: number } {
  for (let i = from; i < toks.length; i++) {
    const t = toks[i].t;
    if (t === 'character' || t === 'person' || t === 'figure') {
      toks[i].used = true;
      return { character: true, at: i };
    }
    if (PRONOUNS.includes(t)) {
      toks[i].used = true;
      if (toks[i + 1]?.t === 'one') toks[i + 1].used = true;
      return { character: false, pronoun: true, at: i };
    }
    if (!isIn(SHAPES, t)) continue;
    const ref: Ref & { at: number } = { shape: t, character: false, at: i };
    toks[i].used = true;
    for (let j = i - 1; j >= from && !toks[j].used; j--) {
      const w = toks[j].t;
      if (isIn(OBJECT_COLORS, w) && !ref.color) ref.color = w;
      else if (sizeWord(w) && !ref.size) ref.size = sizeWord(w);
      else if (!['the', 'a', 'an', ','].includes(w)) break;
      toks[j].used = true;
    }
    return ref;
  }
  return { character: false, at: -1 };
}

/** The scene's object (or character cell) a reference names, or null with a notice. */
function resolve(scene: Scene, r: Ref, notes: Notes): SceneObject | { cell: number; character: true } | null {
  if (r.pronoun) {
    if (scene.objects.length === 1) return scene.objects[0];
    if (scene.objects.length === 0 && scene.character) return { cell: scene.character.cell, character: true };
    refuse(
      notes,
      scene.objects.length
        ? `"it": the scene has ${scene.objects.length} shapes; say which (e.g. "the ${objectPhrase(scene.objects[0])}")`
        : '"it": the scene has no shape to edit',
    );
    return null;
  }
  if (r.character) {
    if (scene.character) return { cell: scene.character.cell, character: true };
    refuse(notes, 'the scene has no character');
    return null;
  }
  const hits = scene.objects.filter(
    (o) =>
      (!r.shape || o.shape === r.shape) &&
      (!r.color || o.color === r.color) &&
      (!r.size || o.size === r.size) &&
      (r.cell === undefined || o.cell === r.cell),
  );
  const what = [r.size, r.color, r.shape].filter(Boolean).join(' ') || 'shape';
  if (hits.length === 1) return hits[0];
  refuse(
    notes,
    hits.length
      ? `${hits.length} a ${what} in the scene: say which (its color, size or cell)`
      : `no ${what} in the scene`,
  );
  return null;
}

/** The reference in the trained phrasing without a scene: "the large red circle" (+ "at the top" if given). */
function phraseOf(r: Ref, notes: Notes): string | null {
  if (r.character) return 'the character';
  if (r.pronoun) {
    refuse(notes, '"it" needs the image to say which shape; name it in full, e.g. "the large red circle"');
    return null;
  }
  if (!r.shape || !r.color || !r.size) {
    refuse(notes, 'without the image, name the shape in full, e.g. "the large red circle"');
    return null;
  }
  return `the ${objectPhrase(r as SceneObject)}${r.cell === undefined ? '' : ` at the ${CELL_NAMES[r.cell]}`}`;
}

type Draft = { edit: (cellOf: (r: Ref) => number | null) => Edit | null; text: (ref: string) => string; ref?: Ref };

/** Reads the instruction into a draft: the edit once the reference is resolved, and its trained phrasing. */
function draft(toks: Token[], notes: Notes): Draft | null {
  const has = (...w: string[]) => toks.some((tk) => w.includes(tk.t));
  const use = (...w: string[]) => {
    for (const tk of toks) if (w.includes(tk.t)) tk.used = true;
  };
  const positions = takePositions(toks, notes);
  const colorAfter = (i: number, xs: readonly string[]) => toks.slice(i + 1).find((tk) => !tk.used && isIn(xs, tk.t));
  if (has('background', 'backdrop', 'bg')) {
    use('background', 'backdrop', 'bg', 'change', 'switch', 'turn', 'set', 'make');
    const c = toks.find((tk) => !tk.used && isIn(BACKGROUNDS, tk.t));
    if (!c) return fail(notes, `the background can be ${BACKGROUNDS.join(', ')}`);
    c.used = true;
    const background = c.t as Background;
    return { edit: () => ({ op: 'background', background }), text: () => `change the background to ${background}` };
  }
  if (has('sign', 'say', 'says', 'word', 'write')) {
    use('sign', 'say', 'says', 'saying', 'word', 'write', 'change', 'make', 'put', 'up', 'to', 'that', 'read', 'reads');
    const w = toks.find((tk) => !tk.used && /^[a-z]+$/.test(tk.t) && !FILLERS.has(tk.t));
    if (!w) return fail(notes, 'which word should the sign say? e.g. "change the sign to say MOON"');
    w.used = true;
    const word = w.raw.toUpperCase();
    if (word.length < WORD_MIN || word.length > WORD_MAX)
      return fail(notes, `the sign holds ${WORD_MIN}-${WORD_MAX} letters; "${word}" has ${word.length}`);
    return {
      edit: () => ({ op: 'word', word }),
      text: () => `change the sign to say ${word}`,
    };
  }
  const acc = toks.find((tk) => isIn(ACCESSORIES, tk.t.replace(/s$/, '')) && tk.t !== 'none');
  if (acc) {
    const off = has('off', 'remove', 'without', 'no', 'delete');
    use('character', 'person', 'off', 'remove', 'without', 'no', 'delete', 'take', 'give', 'wear', 'wearing', 'put');
    acc.used = true;
    const accessory: Accessory = off ? 'none' : (acc.t.replace(/s$/, '') as Accessory);
    const worn = acc.t.replace(/s$/, '');
    return {
      edit: () => ({ op: 'accessory', accessory }),
      text: () => (off ? `take off the character's ${worn}` : `give the character a ${accessory}`),
    };
  }
  const verbAt = (...w: string[]) => toks.findIndex((tk) => w.includes(tk.t));
  const v = verbAt(
    'remove',
    'delete',
    'erase',
    'rid',
    'move',
    'add',
    'put',
    'place',
    'draw',
    'make',
    'turn',
    'paint',
    'color',
    'colour',
    'change',
    'recolor',
  );
  if (v < 0) return fail(notes, 'no edit found: say make, remove, move, add or change');
  const verb = toks[v].t;
  toks[v].used = true;
  use('get', 'take', 'away', 'of');
  const ref = takeRef(toks, v + 1);
  if (ref.at < 0) return fail(notes, 'which shape? e.g. "make the large red circle blue"');
  // positions that locate the reference ("the circle at the top ...": not a pronoun's), the rest the target
  const before = ref.pronoun
    ? []
    : positions.filter((p) => p.at > ref.at && toks.slice(ref.at, p.at).every((tk) => tk.t !== 'to'));
  const target = positions.find((p) => !before.includes(p));
  if (before[0]) ref.cell = before[0].cell;
  const cellOfRef = (f: (r: Ref) => number | null) => f(ref);
  if (['remove', 'delete', 'erase', 'rid'].includes(verb))
    return { ref, edit: (f) => withCell(cellOfRef(f), (cell) => ({ op: 'remove', cell })), text: (r) => `remove ${r}` };
  const isAdd =
    verb === 'add' || (['put', 'place', 'draw'].includes(verb) && !ref.pronoun && toks[ref.at - 1]?.t !== 'the');
  if (isAdd) {
    if (ref.character) return fail(notes, 'the scene has one character; edits cannot add another');
    const cell = target?.cell ?? before[0]?.cell;
    if (cell === undefined || !ref.color || !ref.size)
      return fail(notes, 'say the new shape in full and where: "add a small blue square at the top"');
    const object: SceneObject = { shape: ref.shape!, color: ref.color, size: ref.size, cell };
    return {
      edit: () => ({ op: 'add', object }),
      text: () => `add a ${objectPhrase(object)} at the ${CELL_NAMES[cell]}`,
    };
  }
  if (verb === 'move' || verb === 'put' || verb === 'place') {
    if (!target) return fail(notes, 'move it where? e.g. "move the circle to the bottom right"');
    use('to', 'into');
    return {
      ref,
      edit: (f) => withCell(cellOfRef(f), (from) => ({ op: 'move', from, to: target.cell })),
      text: (r) => `move ${r} to the ${CELL_NAMES[target.cell]}`,
    };
  }
  use('to', 'into');
  const color = colorAfter(ref.at, OBJECT_COLORS);
  const size = toks.slice(ref.at + 1).find((tk) => !tk.used && sizeWord(tk.t));
  if (color && !ref.character) {
    color.used = true;
    const c = color.t as ObjectColor;
    return {
      ref,
      edit: (f) => withCell(cellOfRef(f), (cell) => ({ op: 'recolor', cell, color: c })),
      text: (r) => `make ${r} ${c}`,
    };
  }
  if (size && !ref.character) {
    size.used = true;
    const s = sizeWord(size.t)!;
    return {
      ref,
      edit: (f) => withCell(cellOfRef(f), (cell) => ({ op: 'resize', cell, size: s })),
      text: (r) => `make ${r} ${s}`,
    };
  }
  return fail(notes, 'no new color or size found (the character only moves or changes its accessory)');
}

/** Refuses and gives no draft. */
function fail(notes: Notes, msg: string): null {
  refuse(notes, msg);
  return null;
}

function withCell(cell: number | null, f: (cell: number) => Edit): Edit | null {
  return cell === null ? null : f(cell);
}

/** What the model should be sent for a user's edit instruction on a scene: the trained phrasing when the
 *  instruction parses completely, else the user's own text; notices either way (promptForModel's twin). */
export function instructionForModel(
  text: string,
  scene: Scene,
): { text: string; canonicalized: boolean; notices: string[] } {
  const p = parseInstruction(text, scene);
  if (!p.complete || p.canonical === null) return { text, canonicalized: false, notices: p.notices };
  return { text: p.canonical, canonicalized: p.canonical !== text.trim(), notices: p.notices };
}

/**
 * What the model should be sent for a turn's text: with an image to edit (the turn's own, or the last one
 * of its dialogue), the instruction read against the scene parsed from it ("make it blue" -> "make the
 * small red circle blue"); without one, a scene prompt (promptForModel). Text neither reader understands
 * completely (a question, an unknown word) goes as written, with the notices. Used by session turns in
 * the server and `tessera chat`.
 */
export function turnTextForModel(
  text: string,
  image: RgbImage | null,
): { text: string; canonicalized: boolean; notices: string[] } {
  return image ? instructionForModel(text, parseImage(image)) : promptForModel(text);
}

/** Parses an edit instruction; with the scene being edited it also resolves the Edit. */
export function parseInstruction(text: string, scene?: Scene): InstructionParse {
  const toks = tokenize(text);
  const notes: Notes = { list: [], refused: false };
  const d = draft(toks, notes);
  const unknown = leftovers(toks);
  if (unknown.length) refuse(notes, unknownNotice(unknown));
  if (!d) return { edit: null, canonical: null, unknown, notices: notes.list, complete: false };
  if (!scene) {
    const ref = d.ref ? phraseOf(d.ref, notes) : '';
    const canonical = ref === null ? null : d.text(ref);
    return { edit: null, canonical, unknown, notices: notes.list, complete: canonical !== null && !notes.refused };
  }
  const edit = d.edit((r) => resolve(scene, r, notes)?.cell ?? null);
  if (!edit) return { edit: null, canonical: null, unknown, notices: notes.list, complete: false };
  try {
    applyEdit(scene, edit);
  } catch (err) {
    refuse(notes, (err as Error).message.replace(/^edit: /, ''));
    return { edit: null, canonical: null, unknown, notices: notes.list, complete: false };
  }
  return { edit, canonical: editInstruction(scene, edit), unknown, notices: notes.list, complete: !notes.refused };
}
