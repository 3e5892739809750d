// Instruction decomposition and "imagine then answer", on top of sessions.
//
// Decomposition: for a compound instruction the model writes a numbered step plan (what it was trained to
// write before the final image), the plan is parsed and each step is executed as its own edit turn, so the
// session shows every intermediate image. One shot is the model's single turn for the whole instruction.
//
// A plan copies: its steps are the instruction's own words, renumbered. Both the plan and the one-shot turn
// (which writes its plan before its image) may write only the instruction's tokens and the numbering
// (copyTokens; `copy: false` lets the model write any token), so a word is never swapped for another while
// copying ("the large blue square" -> "the small blue square") and the two are compared on equal terms.
//
// Imagine then answer: for a question about a scene after a hypothetical change, the model first draws the
// changed scene (an edit turn), then answers the question about the image it drew; answering directly
// asks the same question in one text-only turn.
import type { RgbImage } from '../data/index.js';
import type { BpeTokenizer } from '../tokenizers/text/bpe.js';
import { sampleTurn } from './sample.js';
import { contextPrompts, type Engine, Session, type Turn, type TurnOptions } from './session.js';

/** Parses "1. step\n2. step" into steps; lines that are not numbered in order end the plan. */
export function parsePlan(text: string): string[] {
  const steps: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)[.)]\s*(.+?)\s*$/.exec(line);
    if (!m || Number(m[1]) !== steps.length + 1) break;
    steps.push(m[2]);
  }
  return steps;
}

/** Plans have at most this many steps (the numbers copyTokens allows). */
export const MAX_PLAN_STEPS = 9;

/**
 * The text tokens a plan of `instruction` is written in: the instruction's own, as they are split at the
 * start of a line and after a space (a step's first word is either), and the step numbers "1." to "9." on
 * their lines.
 */
export function copyTokens(tok: BpeTokenizer, instruction: string): Set<number> {
  const numbers = Array.from({ length: MAX_PLAN_STEPS }, (_, i) => `${i + 1}.\n`).join('');
  return new Set([...tok.encode(instruction), ...tok.encode(` ${instruction}`), ...tok.encode(numbers)]);
}

/** The model's step plan for a compound instruction about an image (empty when it writes none). */
export function planSteps(
  engine: Engine,
  image: RgbImage,
  instruction: string,
  o: { copy?: boolean } = {},
): { text: string; steps: string[] } {
  if (instruction.trim() === '') throw new Error('the instruction is empty: say what to change');
  const { cond } = contextPrompts(engine, [], { image, text: instruction }, 'text', false);
  const gen = sampleTurn(engine.model, engine.tok, cond, null, {
    temperature: 0,
    onImage: 'stop',
    maxTextTokens: 96,
    textTokens: o.copy === false ? undefined : copyTokens(engine.tok.text, instruction),
  });
  const text = gen.segments
    .filter((s) => s.kind === 'text')
    .map((s) => (s as { text: string }).text)
    .join('\n');
  return { text, steps: parsePlan(text) };
}

export interface DecomposedRun {
  plan: string[];
  /** One edit turn per step, in order. */
  turns: Turn[];
  /** The image after the last step (the input when no step drew one). */
  final: RgbImage;
}

/**
 * Runs steps as edit turns of a session that starts from `image` (a new session unless one is given,
 * in which case the turns follow its head). `onStep` is called before each step (to show the plan).
 */
export function executePlan(
  engine: Engine,
  image: RgbImage,
  steps: readonly string[],
  o: TurnOptions & { session?: Session; onStep?: (i: number, step: string) => void } = {},
): DecomposedRun {
  const session = o.session ?? new Session();
  const turns: Turn[] = [];
  let final = image;
  steps.forEach((step, i) => {
    o.onStep?.(i, step);
    // The first step carries the image unless it already is the session's picture; later steps continue
    // the dialogue (its last image is what they edit).
    const input = i === 0 && session.lastImage() !== image ? { image, text: step } : { text: step };
    const t = session.addTurn(engine, input, { ...o, mode: 'image' });
    turns.push(t);
    const drawn = t.output.find((x) => x.kind === 'image');
    if (drawn?.kind === 'image') final = drawn.image;
  });
  return { plan: [...steps], turns, final };
}

/** The compound instruction in one model turn (its plan copied, as in planSteps, unless `copy` is false);
 *  returns the last image it drew (null: none) and its text. */
export function oneShot(
  engine: Engine,
  image: RgbImage,
  instruction: string,
  o: TurnOptions & { copy?: boolean } = {},
): { image: RgbImage | null; text: string } {
  const textTokens = o.copy === false ? undefined : copyTokens(engine.tok.text, instruction);
  const t = new Session().addTurn(engine, { image, text: instruction }, { ...o, mode: 'auto', textTokens });
  const imgs = t.output.filter((x) => x.kind === 'image');
  const last = imgs[imgs.length - 1];
  return {
    image: last?.kind === 'image' ? last.image : null,
    text: t.output.map((x) => (x.kind === 'text' ? x.text : '')).join('\n'),
  };
}

/** Imagine then answer: draw the changed scene, then answer the question about that drawing. */
export function imagineThenAnswer(
  engine: Engine,
  image: RgbImage,
  change: string,
  question: string,
  o: TurnOptions = {},
): { imagined: RgbImage | null; answer: string } {
  const drawn = new Session().addTurn(engine, { image, text: change }, { ...o, mode: 'image' }).output;
  const imagined = drawn.find((x) => x.kind === 'image');
  if (imagined?.kind !== 'image') return { imagined: null, answer: '' };
  return { imagined: imagined.image, answer: answerText(engine, imagined.image, question, o) };
}

/** A text answer to a question about an image, in one text-only turn. */
export function answerText(engine: Engine, image: RgbImage, text: string, o: TurnOptions = {}): string {
  const t = new Session().addTurn(engine, { image, text }, { ...o, mode: 'text' });
  return t.output
    .filter((x) => x.kind === 'text')
    .map((x) => (x as { text: string }).text)
    .join('\n');
}
