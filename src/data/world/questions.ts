// Questions in more than one phrasing. sampleQuestion (tasks.ts) asks each thing one way, and a model
// trained only on it answered a question put any other way with the answer to a template it knew
// (bench:questions: 0 exact in 6 of 8 forms). The `ask` task asks the same things, and two it never asked
// (the background's colour, an object's size, whether there is a sign), each in two or three phrasings
// drawn at random, so that what a question asks, not its exact words, is what the answer follows.
//
// UNTRAINED_FORMS are the forms bench:questions measures, kept out of training: no phrasing here is one of
// them (test/data/questions.test.ts checks it over thousands of scenes), so the bench still measures
// questions put in words the model never trained on.

import type { Rng } from '../../tensor/index.js';
import { objectPhrase, type Scene, type SceneObject } from './scene.js';
import { CELL_NAMES } from './spec.js';

export interface Asked {
  q: string;
  a: string;
}

const count = (s: Scene, color?: string) => String(s.objects.filter((x) => !color || x.color === color).length);
const at = (o: SceneObject) => CELL_NAMES[o.cell];

/** A question form: the question and answer for a scene and one of its objects (null: it cannot be asked). */
export type QuestionForm = (s: Scene, o: SceneObject | null) => Asked | null;

/** What each `ask` question asks, in the phrasings training uses. */
const REPHRASED: QuestionForm[][] = [
  [
    (s) => ({ q: 'which color is the background?', a: s.background }),
    (s) => ({ q: 'what is the background color?', a: s.background }),
  ],
  [
    (s) => ({ q: 'count the shapes.', a: count(s) }),
    (s) => ({ q: 'how many shapes do you see?', a: count(s) }),
    (s) => ({ q: 'how many things are in the picture?', a: count(s) }),
  ],
  [
    (_, o) => o && { q: `which color is the ${o.size} ${o.shape} at the ${at(o)}?`, a: o.color },
    (_, o) => o && { q: `the ${o.size} ${o.shape} at the ${at(o)} is what color?`, a: o.color },
  ],
  [
    (_, o) => o && { q: `which shape is at the ${at(o)}?`, a: o.shape },
    (_, o) => o && { q: `name the shape at the ${at(o)}.`, a: o.shape },
  ],
  [
    (_, o) => o && { q: `what is the size of the ${o.color} ${o.shape} at the ${at(o)}?`, a: o.size },
    (_, o) => o && { q: `is the ${o.color} ${o.shape} at the ${at(o)} large or small?`, a: o.size },
  ],
  [
    (s, o) => o && { q: `count the ${o.color} shapes.`, a: count(s, o.color) },
    (s, o) => o && { q: `how many shapes are ${o.color}?`, a: count(s, o.color) },
  ],
  [
    (s) => ({ q: 'does the picture have a sign?', a: s.sign ? 'yes' : 'no' }),
    (s) => ({ q: 'is there a sign in the picture?', a: s.sign ? 'yes' : 'no' }),
  ],
  [
    (s) => (s.sign ? { q: 'read the sign.', a: s.sign.toLowerCase() } : null),
    (s) => (s.sign ? { q: 'what word is on the sign?', a: s.sign.toLowerCase() } : null),
  ],
];

/**
 * A question about `s` in one of the training phrasings, with its exact answer: what to ask is drawn
 * first, then its phrasing, then the object (its colour is the one a colour count asks about; the vqa
 * task's counts of absent colours cover 0). A form the scene cannot be asked (no object, no sign) is
 * drawn again.
 */
export function sampleRephrased(rng: Rng, s: Scene): Asked {
  for (;;) {
    const o = s.objects.length > 0 ? rng.pick(s.objects) : null;
    const form = rng.pick(rng.pick(REPHRASED));
    const x = form(s, o);
    if (x) return x;
  }
}

/** Every training phrasing of `ask`, asked of `s` and `o` (for the test that keeps them apart from the bench). */
export function allRephrased(s: Scene, o: SceneObject | null): (Asked & { form: number })[] {
  return REPHRASED.flat().flatMap((f, form) => {
    const x = f(s, o);
    return x ? [{ ...x, form }] : [];
  });
}

/** A question form the training templates never use, beside the trained template asking the same thing. */
export interface UntrainedForm {
  name: string;
  ask: QuestionForm;
  /** The sampleQuestion template that asks it (null: it has none; `ask` may still ask it in other words). */
  trained: QuestionForm | null;
}

/** The forms bench:questions asks: outside sampleQuestion's templates and every `ask` phrasing. */
export const UNTRAINED_FORMS: UntrainedForm[] = [
  {
    name: 'what color is the background?',
    ask: (s) => ({ q: 'what color is the background?', a: s.background }),
    trained: null,
  },
  {
    name: 'how many objects are there?',
    ask: (s) => ({ q: 'how many objects are there?', a: count(s) }),
    trained: (s) => ({ q: 'how many shapes are there?', a: count(s) }),
  },
  {
    name: 'what colour is the <size> <shape> at the <cell>?',
    ask: (_, o) => o && { q: `what colour is the ${o.size} ${o.shape} at the ${at(o)}?`, a: o.color },
    trained: (_, o) => o && { q: `what color is the ${o.size} ${o.shape} at the ${at(o)}?`, a: o.color },
  },
  {
    name: 'what shape is at the <cell>?',
    ask: (_, o) => o && { q: `what shape is at the ${at(o)}?`, a: o.shape },
    trained: (_, o) => o && { q: `what is at the ${at(o)}?`, a: `a ${objectPhrase(o)}` },
  },
  {
    name: 'is the <color> <shape> at the <cell> big or small?',
    ask: (_, o) => o && { q: `is the ${o.color} ${o.shape} at the ${at(o)} big or small?`, a: o.size },
    trained: null,
  },
  {
    name: 'how many <color> objects are there?',
    ask: (s, o) => o && { q: `how many ${o.color} objects are there?`, a: count(s, o.color) },
    trained: (s, o) => o && { q: `how many ${o.color} shapes are there?`, a: count(s, o.color) },
  },
  { name: 'is there a sign?', ask: (s) => ({ q: 'is there a sign?', a: s.sign ? 'yes' : 'no' }), trained: null },
  {
    name: 'what is written on the sign?',
    ask: (s) => (s.sign ? { q: 'what is written on the sign?', a: s.sign.toLowerCase() } : null),
    trained: (s) => (s.sign ? { q: 'what does the sign say?', a: s.sign.toLowerCase() } : null),
  },
];
