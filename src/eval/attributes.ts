// Per-attribute scores for captions and questions, beside the all-or-nothing exact match: a caption or
// answer is read back into objects (the canonical phrasing, "a small red circle at the top left"), and
// color, shape, size, cell, object count and the sign's word are each judged on their own.
import { CELL_NAMES, OBJECT_COLORS, type Scene, type SceneObject, SHAPES, SIZES } from '../data/index.js';

export interface ReadObject {
  size: string;
  color: string;
  shape: string;
  cell: number | null;
}

const alt = (xs: readonly string[]) => [...xs].sort((a, b) => b.length - a.length).join('|');
const OBJECT_RE = new RegExp(
  `\\b(${alt(SIZES)}) (${alt(OBJECT_COLORS)}) (${alt(SHAPES)})(?: at the (${alt(CELL_NAMES)}))?`,
  'g',
);

/** The objects a caption or answer names, in order. */
export function readObjects(text: string): ReadObject[] {
  const out: ReadObject[] = [];
  for (const m of text.toLowerCase().matchAll(OBJECT_RE))
    out.push({ size: m[1], color: m[2], shape: m[3], cell: m[4] ? CELL_NAMES.indexOf(m[4] as never) : null });
  return out;
}

/** The sign's word a caption names ("a sign that says CAT"), upper-cased, or null. */
export function readSign(text: string): string | null {
  const m = /a sign that says ([a-z]+)/i.exec(text);
  return m ? m[1].toUpperCase() : null;
}

type Attribute = 'color' | 'shape' | 'size' | 'cell' | 'count' | 'word';
type Note = (attr: Attribute, ok: boolean) => void;

/**
 * A caption against its scene: object count, then every expected object matched (greedily) to the named
 * object agreeing with it on the most attributes, each attribute scored (0 for every attribute when no
 * object is left to match), and the sign's word when the scene or the caption has a sign. noteObject hears
 * each expected object and whether its match names all four of its attributes.
 */
export function judgeCaption(
  expected: Scene,
  text: string,
  note: Note,
  noteObject?: (object: SceneObject, named: boolean) => void,
): void {
  const got = readObjects(text);
  note('count', got.length === expected.objects.length);
  const left = [...got];
  for (const e of expected.objects) {
    const agree = (g: ReadObject) =>
      +(g.color === e.color) + +(g.shape === e.shape) + +(g.size === e.size) + +(g.cell === e.cell);
    const best = left.reduce<ReadObject | null>((b, g) => (!b || agree(g) > agree(b) ? g : b), null);
    if (best) left.splice(left.indexOf(best), 1);
    const right = {
      color: best?.color === e.color,
      shape: best?.shape === e.shape,
      size: best?.size === e.size,
      cell: best?.cell === e.cell,
    };
    for (const [a, ok] of Object.entries(right)) note(a as Attribute, ok);
    noteObject?.(e, right.color && right.shape && right.size && right.cell);
  }
  const sign = readSign(text);
  if (expected.sign || sign) note('word', sign === expected.sign);
}

/**
 * A question's answer, scored on the attribute the question asks about: color ("what color is ...",
 * the character's eyes), count ("how many ..."), cell (left of / above, and whether the right kind of
 * thing is at a cell: an object, the character or nothing), shape, size and color of the object named
 * for "what is at ...", and word (the sign). Other questions (the accessory) have only the exact score.
 */
export function judgeAnswer(question: string, want: string, answer: string, note: Note): void {
  const q = question.toLowerCase();
  const a = answer.trim().toLowerCase();
  const w = want.trim().toLowerCase();
  if (q.startsWith('what color')) note('color', a === w);
  else if (q.startsWith('how many')) note('count', a === w);
  else if (q.startsWith('is ')) note('cell', a === w);
  else if (q.includes('sign say')) note('word', a === w);
  else if (q.startsWith('what is at')) {
    const [e] = readObjects(w);
    const [g] = readObjects(a);
    const kind = (s: string, o: ReadObject | undefined) => (o ? 'object' : s === 'the character' ? 'character' : s);
    note('cell', kind(a, g) === kind(w, e));
    if (e) {
      note('color', g?.color === e.color);
      note('shape', g?.shape === e.shape);
      note('size', g?.size === e.size);
    }
  }
}
