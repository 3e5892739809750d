// A tolerant reader of text-to-image prompts: it turns the phrasings people use ("put a big red circle in
// the top-left corner. White background.") into the world's Scene, and gives back the trained phrasing
// (describePrompt of that scene), the words it could not place and notices about what it assumed or what
// the model cannot draw. The model only follows the templates it was trained on (scene.ts), so callers can
// send `canonical` instead of the user's text; docs/prompts.md is the grammar. Written by hand (a small
// tagger plus attachment rules) because the vocabulary is the world spec's and tiny.
import { describePrompt, type Scene, type SceneObject } from './scene.js';
import {
  ACCESSORIES,
  type Accessory,
  BACKGROUNDS,
  BODY_COLORS,
  CELL_NAMES,
  EYE_COLORS,
  type Face,
  OBJECT_COLORS,
  type ObjectColor,
  SHAPES,
  type Shape,
  type Size,
  WORD_MAX,
  WORD_MIN,
  WORDS,
} from './spec.js';

export interface PromptParse {
  /** The scene the prompt asks for (with stated assumptions filled in), or null when nothing drawable was found. */
  scene: Scene | null;
  /** describePrompt(scene): the phrasing the model was trained on; null with the scene. */
  canonical: string | null;
  /** Words it could not place (lower case, in order, each once). */
  unknown: string[];
  /** What it assumed, refused or could not draw, in plain sentences. */
  notices: string[];
  /** True when every word was understood and the scene is within the world: safe to send `canonical`. */
  complete: boolean;
}

/** What the parser tells the user: assumptions (the scene is still what was asked) and refusals (it is not). */
export interface Notes {
  list: string[];
  refused: boolean;
}
export function assume(n: Notes, msg: string): void {
  n.list.push(msg);
}
export function refuse(n: Notes, msg: string): void {
  n.list.push(msg);
  n.refused = true;
}

/** A token: its lower-case, normalised text, the raw text (a sign word keeps its case), and whether quoted. */
export interface Token {
  t: string;
  raw: string;
  quoted: boolean;
  used: boolean;
}

const SYNONYMS: Record<string, string> = {
  grey: 'gray',
  centre: 'center',
  middle: 'center',
  centered: 'center',
  centred: 'center',
  central: 'center',
  upper: 'top',
  lower: 'bottom',
  big: 'large',
  huge: 'large',
  bigger: 'large',
  larger: 'large',
  giant: 'large',
  tiny: 'small',
  little: 'small',
  smaller: 'small',
  mini: 'small',
  circles: 'circle',
  squares: 'square',
  triangles: 'triangle',
  crosses: 'cross',
};
const PLURALS = new Set(['circles', 'squares', 'triangles', 'crosses']);
const COUNTS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
};

/** Words that carry no content of their own in a prompt (verbs of drawing, articles, prepositions). */
export const FILLERS = new Set(
  (
    'a an the and draw put make show add place paint create render generate give me please picture image ' +
    'canvas scene grid frame of with at in on to into there is are be should that which it its also then has ' +
    'have having containing colored coloured color colour shape shaped corner side edge hand position spot ' +
    'cell area part each both i want like would can you could some here just plus , - : ! ? . ;'
  ).split(' '),
);
const POSITION_WORDS = new Set(['top', 'bottom', 'left', 'right', 'center']);
const POSITION_GLUE = new Set(['-', 'hand', 'corner', 'corners', 'side', 'sides', 'edge']);
const CHARACTER_NOUNS = new Set(['character', 'person', 'figure', 'guy', 'creature', 'kid', 'man', 'woman']);

/** Lower-cased, normalised tokens; punctuation kept as its own token, hyphens split, "'s" dropped. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /"([^"]*)"|'([^']*)'(?![a-z])|([A-Za-z]+)|(\d+)|([.,;:!?])/g;
  for (const m of text.replace(/[’‘]/g, "'").replace(/'s\b/gi, '').matchAll(re)) {
    const q = m[1] ?? m[2];
    if (q !== undefined) {
      for (const w of q.split(/[^A-Za-z0-9]+/).filter(Boolean)) out.push(token(w, true));
      continue;
    }
    out.push(token(m[0], false));
  }
  return out;
}

function token(raw: string, quoted: boolean): Token {
  const low = raw.toLowerCase();
  return { t: SYNONYMS[low] ?? low, raw, quoted, used: false };
}

const isColor = (t: string) => (OBJECT_COLORS as readonly string[]).includes(t) || BACKGROUNDS.includes(t as never);
const isLetters = (raw: string) => /^[A-Za-z]+$/.test(raw);

/** The cell a run of position words names ({top, left} -> top left), or null when they contradict. */
export function cellOf(words: readonly string[]): number | null {
  const s = new Set(words);
  if ((s.has('top') && s.has('bottom')) || (s.has('left') && s.has('right'))) return null;
  const row = s.has('top') ? 0 : s.has('bottom') ? 2 : 1;
  const col = s.has('left') ? 0 : s.has('right') ? 2 : 1;
  return row * 3 + col;
}

const FRAME_NOUNS = new Set(['image', 'picture', 'canvas', 'grid', 'frame', 'scene']);

/** Finds position phrases ("top-left corner", "upper right", "center") and marks their tokens used.
 *  "left of the square" is a relation between things, which the world's prompts never use: refused. */
export function takePositions(toks: Token[], notes: Notes): { at: number; cell: number; words: string }[] {
  const found: { at: number; cell: number; words: string }[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].used || !POSITION_WORDS.has(toks[i].t)) continue;
    const words: string[] = [];
    let j = i;
    while (j < toks.length && !toks[j].used && (POSITION_WORDS.has(toks[j].t) || POSITION_GLUE.has(toks[j].t))) {
      if (POSITION_WORDS.has(toks[j].t)) words.push(toks[j].t);
      toks[j].used = true;
      j++;
    }
    const cell = cellOf(words);
    const after = toks[j]?.t === 'of' ? toks[['a', 'an', 'the'].includes(toks[j + 1]?.t) ? j + 2 : j + 1] : undefined;
    if (after && !FRAME_NOUNS.has(after.t)) {
      refuse(notes, `"${words.join(' ')} of" relates two things; the prompts name each thing's cell instead`);
      toks[j].used = true;
    } else if (cell !== null) found.push({ at: i, cell, words: words.join(' ') });
    else for (let k = i; k < j; k++) toks[k].used = false;
    i = j - 1;
  }
  return found;
}

const SAY_VERBS = new Set(
  'says saying say said reads reading read spelling spells showing shows displaying displays word text written'.split(
    ' ',
  ),
);
const SIGN_SKIP = new Set([...SAY_VERBS, 'that', 'which', 'with', 'the', 'a', 'on', 'it', 'of', 'is', ':', 'letters']);

/** The sign's word ("a sign that says CAT", "sign reading 'cat'", "a CAT sign", "the word CAT"), tokens used. */
function takeSign(toks: Token[], notes: Notes): string | null {
  for (let i = 0; i < toks.length; i++) {
    const isSign = toks[i].t === 'sign' || toks[i].t === 'signs';
    if (!isSign && toks[i].t !== 'word') continue;
    let said = !isSign;
    let j = i + 1;
    while (j < toks.length && SIGN_SKIP.has(toks[j].t) && !toks[j].quoted) {
      if (SAY_VERBS.has(toks[j].t)) said = true;
      j++;
    }
    const w = toks[j];
    const known = (x: Token) => WORDS.includes(x.raw.toUpperCase() as never);
    const strong = (x: Token) => x.quoted || known(x) || (x.raw === x.raw.toUpperCase() && x.raw.length >= WORD_MIN);
    let at = -1;
    if (w && isLetters(w.raw) && (said || strong(w))) at = j;
    else if (isSign && i > 0 && isLetters(toks[i - 1].raw) && strong(toks[i - 1]) && !FILLERS.has(toks[i - 1].t))
      at = i - 1;
    if (at < 0) {
      if (isSign) {
        toks[i].used = true;
        refuse(notes, 'a sign was asked for without its word: say "a sign that says CAT"');
      }
      continue;
    }
    for (let k = Math.min(i, at); k <= Math.max(i, at); k++) toks[k].used = true;
    const word = toks[at].raw.toUpperCase();
    if (word.length < WORD_MIN || word.length > WORD_MAX) {
      refuse(notes, `the sign holds ${WORD_MIN}-${WORD_MAX} letters; "${word}" has ${word.length}`);
      return null;
    }
    if (!WORDS.includes(word as never))
      assume(notes, `"${word}" is not one of the words the model was trained to write; its letters may come out wrong`);
    return word;
  }
  return null;
}

/** The background ("on a white background", "background: gray", "the backdrop is black", "on black"). */
function takeBackground(toks: Token[], notes: Notes): string | null {
  const skipBack = new Set(['colored', 'coloured', 'color', 'colour', '-']);
  const skipFwd = new Set(['is', 'of', ':', 'colored', 'coloured', 'color', 'colour', 'in', 'should', 'be', 'the']);
  for (let i = 0; i < toks.length; i++) {
    if (!['background', 'backdrop', 'bg'].includes(toks[i].t)) continue;
    let j = i - 1;
    while (j >= 0 && skipBack.has(toks[j].t)) j--;
    if (!(j >= 0 && !toks[j].used && isColor(toks[j].t))) {
      j = i + 1;
      while (j < toks.length && skipFwd.has(toks[j].t)) j++;
    }
    toks[i].used = true;
    const c = toks[j];
    if (!c || c.used || !isColor(c.t)) {
      refuse(notes, `a background without its color: the backgrounds are ${BACKGROUNDS.join(', ')}`);
      return null;
    }
    c.used = true;
    if (!BACKGROUNDS.includes(c.t as never)) {
      refuse(notes, `the background can be ${BACKGROUNDS.join(', ')}, not "${c.t}"`);
      return null;
    }
    return c.t;
  }
  // "on white" with no "background": a background color after "on" that no shape word follows.
  for (let i = 0; i + 1 < toks.length; i++) {
    if (toks[i].t !== 'on') continue;
    const j = toks[i + 1].t === 'a' ? i + 2 : i + 1;
    const c = toks[j];
    const next = toks[j + 1]?.t;
    if (c && !c.used && BACKGROUNDS.includes(c.t as never) && !SHAPES.includes(next as never)) {
      c.used = true;
      return c.t;
    }
  }
  return null;
}

interface CharacterParts {
  at: number;
  face?: Face;
  eyes?: string;
  body?: string;
  accessory?: Accessory;
}

const EYE_NOUNS = new Set(['eyes', 'eye', 'eyed']);
const BODY_NOUNS = new Set(['body', 'bodied', 'shirt', 'torso', 'clothes', 'outfit']);
const FACE_NOUNS = new Set(['faced', 'face', 'head', 'headed']);

/** The character's parts: "round-faced", "blue eyes" / "eyes are blue", "red body", "wearing a hat", "no hat". */
function takeCharacter(toks: Token[]): CharacterParts | null {
  const parts: CharacterParts = { at: -1 };
  const mark = (i: number) => {
    toks[i].used = true;
    if (parts.at < 0 || i < parts.at) parts.at = i;
  };
  const colorNear = (i: number): number => {
    if (i > 0 && !toks[i - 1].used && isColor(toks[i - 1].t)) return i - 1;
    let j = i + 1;
    while (j < toks.length && ['are', 'is', ':', 'of', 'colored', 'coloured'].includes(toks[j].t)) j++;
    return j > i + 1 && j < toks.length && !toks[j].used && isColor(toks[j].t) ? j : -1;
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i].t;
    if (toks[i].used) continue;
    if (CHARACTER_NOUNS.has(t)) mark(i);
    else if (FACE_NOUNS.has(t) && i > 0 && ['round', 'square'].includes(toks[i - 1].t)) {
      parts.face = toks[i - 1].t as Face;
      mark(i - 1);
      mark(i);
    } else if (EYE_NOUNS.has(t) || BODY_NOUNS.has(t)) {
      const c = colorNear(i);
      if (c < 0) continue;
      if (EYE_NOUNS.has(t)) parts.eyes = toks[c].t;
      else parts.body = toks[c].t;
      mark(c);
      mark(i);
    } else if ((ACCESSORIES as readonly string[]).includes(t.replace(/s$/, '')) && t !== 'none') {
      const neg = i > 1 && ['no', 'without'].includes(toks[i - (toks[i - 1].t === 'a' ? 2 : 1)].t);
      parts.accessory = neg ? 'none' : (t.replace(/s$/, '') as Accessory);
      if (neg) toks[i - (toks[i - 1].t === 'a' ? 2 : 1)].used = true;
      mark(i);
    }
  }
  if (parts.at < 0) return null;
  for (const tk of toks) if (['wearing', 'wears', 'dressed'].includes(tk.t)) tk.used = true;
  return parts;
}

interface Entity {
  at: number;
  kind: 'object' | 'character';
  shape?: Shape;
  plural: boolean;
  count?: number;
  size?: Size;
  color?: string;
  cells: number[];
  character?: CharacterParts;
}

const want = (e: Entity) => (e.plural ? (e.count ?? 9) : 1);

/** Attaches size, colour and count words to the entity they describe: the next one when only other
 *  adjectives come between (the trained order), else the latest one before that lacks the attribute. */
function attachAdjectives(toks: Token[], ents: Entity[], notes: Notes): void {
  const adjective = (tk: Token) =>
    ['a', 'an', 'the', ',', 'small', 'large', '-', 'colored', 'coloured'].includes(tk.t) ||
    (isColor(tk.t) && !tk.used) ||
    tk.t in COUNTS ||
    /^\d+$/.test(tk.t);
  for (let i = 0; i < toks.length; i++) {
    const tk = toks[i];
    if (tk.used) continue;
    const key = tk.t === 'small' || tk.t === 'large' ? 'size' : isColor(tk.t) ? 'color' : null;
    const count = COUNTS[tk.t] ?? (/^\d+$/.test(tk.t) ? Number(tk.t) : undefined);
    if (!key && count === undefined) continue;
    let target: Entity | undefined;
    let j = i + 1;
    while (j < toks.length && adjective(toks[j]) && !ents.some((e) => e.at === j)) j++;
    target = ents.find((e) => e.at === j && e.kind === 'object');
    if (!target && key) target = [...ents].reverse().find((e) => e.at < i && e.kind === 'object' && !e[key]);
    if (!target) continue;
    tk.used = true;
    if (count !== undefined) target.count = count;
    else if (key && target[key] && target[key] !== tk.t)
      refuse(notes, `the ${target.shape} is given two ${key}s, "${target[key]}" and "${tk.t}": kept "${target[key]}"`);
    else if (key === 'size') target.size = tk.t as Size;
    else if (key === 'color') target.color = tk.t;
  }
}

/** Positions go to the latest entity before them still lacking one (entity-then-position, as trained), else the next. */
function attachPositions(positions: { at: number; cell: number }[], ents: Entity[]): void {
  for (const p of positions) {
    const open = (e: Entity) => e.cells.length < want(e);
    const before = [...ents].reverse().find((e) => e.at < p.at && open(e) && (e.cells.length === 0 || e.plural));
    const target = before ?? ents.find((e) => e.at > p.at && open(e)) ?? [...ents].reverse().find(open);
    target?.cells.push(p.cell);
  }
}

const DEFAULT_CELLS = [4, 0, 2, 6, 8, 1, 3, 5, 7];

function nameOf(e: Entity): string {
  return e.kind === 'character' ? 'the character' : `the ${[e.size, e.color, e.shape].filter(Boolean).join(' ')}`;
}

/** Builds the scene from the entities, filling what is missing with a stated assumption. */
function buildScene(ents: Entity[], background: string | null, sign: string | null, notes: Notes): Scene {
  const taken = new Set<number>();
  const scene: Scene = {
    background: (background ?? 'white') as Scene['background'],
    objects: [],
    sign,
    character: null,
  };
  if (!background) assume(notes, 'no background given: white assumed (say "on a white, gray or black background")');
  const place = (e: Entity, cell: number | undefined): number | null => {
    if (cell !== undefined && taken.has(cell)) {
      refuse(notes, `the ${CELL_NAMES[cell]} holds one thing only: ${nameOf(e)} was asked there too and left out`);
      return null;
    }
    if (cell !== undefined) {
      taken.add(cell);
      return cell;
    }
    const free = DEFAULT_CELLS.find((c) => !taken.has(c));
    if (free === undefined) {
      refuse(notes, `no free cell left for ${nameOf(e)}: the grid has 9 cells`);
      return null;
    }
    assume(notes, `no position given for ${nameOf(e)}: put at the ${CELL_NAMES[free]}`);
    taken.add(free);
    return free;
  };
  for (const e of ents) {
    if (e.kind === 'character') {
      const cell = place(e, e.cells[0]);
      if (cell !== null) scene.character = characterOf(e.character!, cell, notes);
      continue;
    }
    if (e.plural && e.count === undefined && e.cells.length === 0)
      assume(notes, `how many ${e.shape}s? one drawn (give a number or a position for each)`);
    if (e.count !== undefined && e.cells.length > e.count)
      refuse(notes, `${e.count} ${e.shape}${e.count > 1 ? 's' : ''} asked for but ${e.cells.length} positions given`);
    const n = Math.max(e.plural ? (e.count ?? e.cells.length) : (e.count ?? 1), 1);
    const size = e.size ?? 'large';
    if (!e.size) assume(notes, `no size given for ${nameOf(e)}: large assumed (say small or large)`);
    let color = e.color as ObjectColor | undefined;
    if (color && !OBJECT_COLORS.includes(color)) {
      refuse(notes, `shapes come in ${OBJECT_COLORS.join(', ')}, not ${color}: red drawn`);
      color = 'red';
    } else if (!color) {
      assume(notes, `no color given for ${nameOf(e)}: red assumed`);
      color = 'red';
    }
    for (let k = 0; k < n; k++) {
      const cell = place(e, e.cells[k]);
      if (cell !== null) scene.objects.push({ shape: e.shape!, color, size, cell } satisfies SceneObject);
    }
  }
  scene.objects.sort((a, b) => a.cell - b.cell);
  return scene;
}

function characterOf(p: CharacterParts, cell: number, notes: Notes): Scene['character'] {
  const pick = <T extends string>(v: string | undefined, allowed: readonly T[], what: string, dflt: T): T => {
    if (v && allowed.includes(v as T)) return v as T;
    if (v) refuse(notes, `the character's ${what} can be ${allowed.join(', ')}, not ${v}: ${dflt} drawn`);
    else assume(notes, `no ${what} given for the character: ${dflt} assumed`);
    return dflt;
  };
  return {
    face: pick(p.face, ['round', 'square'] as const, 'face', 'round'),
    eyes: pick(p.eyes, EYE_COLORS, 'eye color', 'blue'),
    body: pick(p.body, BODY_COLORS, 'body color', 'red'),
    accessory: p.accessory ?? 'none',
    cell,
  };
}

/** Words left over that are neither fillers nor placed: each once, in order. */
export function leftovers(toks: Token[]): string[] {
  const out: string[] = [];
  for (const tk of toks) if (!tk.used && !FILLERS.has(tk.t) && !out.includes(tk.t)) out.push(tk.t);
  return out;
}

/** A notice naming words outside the world, with a hint for sign words. */
export function unknownNotice(words: readonly string[]): string {
  const list = words.map((w) => `"${w}"`).join(', ');
  const signable = words.filter((w) => WORDS.includes(w.toUpperCase() as never));
  const hint = signable.length
    ? ` (to write ${signable[0].toUpperCase()}, say "a sign that says ${signable[0].toUpperCase()}")`
    : '';
  return (
    `the model cannot draw ${list}${hint}: it draws shapes (${SHAPES.join(', ')}) in ${OBJECT_COLORS.length} colors ` +
    'at 9 positions, one character, a sign with a word, on a white, gray or black background (docs/prompts.md)'
  );
}

/** Parses a text-to-image prompt into the world's scene, its trained phrasing, unknown words and notices. */
export function parsePrompt(text: string): PromptParse {
  const toks = tokenize(text);
  const notes: Notes = { list: [], refused: false };
  const notices = notes.list;
  const sign = takeSign(toks, notes);
  const background = takeBackground(toks, notes);
  const character = takeCharacter(toks);
  const ents: Entity[] = [];
  for (let i = 0; i < toks.length; i++) {
    const shape = toks[i].t as Shape;
    if (toks[i].used || !SHAPES.includes(shape)) continue;
    toks[i].used = true;
    ents.push({ at: i, kind: 'object', shape, plural: PLURALS.has(toks[i].raw.toLowerCase()), cells: [] });
  }
  if (character) ents.push({ at: character.at, kind: 'character', plural: false, cells: [], character });
  ents.sort((a, b) => a.at - b.at);
  const positions = takePositions(toks, notes);
  attachAdjectives(toks, ents, notes);
  attachPositions(positions, ents);
  const unknown = leftovers(toks);
  if (unknown.length) refuse(notes, unknownNotice(unknown));
  if (ents.length === 0 && !sign && !background) {
    refuse(notes, 'nothing the model can draw was found in the prompt');
    return { scene: null, canonical: null, unknown, notices, complete: false };
  }
  const scene = buildScene(ents, background, sign, notes);
  if (scene.objects.length === 0) assume(notes, 'the model was trained on scenes with at least one shape');
  if (scene.objects.length > 4)
    assume(notes, `the model was trained on 1-4 shapes a scene, not ${scene.objects.length}`);
  const complete = unknown.length === 0 && !notes.refused;
  return { scene, canonical: describePrompt(scene), unknown, notices, complete };
}

/** What the model should be sent for a user's prompt: the trained phrasing when the prompt parses
 *  completely, else the user's own text; notices either way. The one call for the CLI and the server. */
export function promptForModel(text: string): { text: string; canonicalized: boolean; notices: string[] } {
  const p = parsePrompt(text);
  if (!p.complete || p.canonical === null) return { text, canonicalized: false, notices: p.notices };
  return { text: p.canonical, canonicalized: p.canonical !== text.trim(), notices: p.notices };
}
