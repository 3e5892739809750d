// Task items built from scenes, all in the one sequence format (../sequence.ts): caption, question
// answering, reading the sign, text-to-image, single edits, multi-turn edit chains, compound instructions
// with step plans, text-only facts, fact-to-image prompts, and "imagine then answer". The two letters_
// tasks draw and read signs of random letter strings (never a held-out word), so that letters, not whole
// words, are what a sign is made of: the text tokenizer spells capitals letter by letter and each glyph
// is one patch, so a model that maps letters to glyphs can write and read words it never saw. `plan` is
// the compound task's plan without its images: the instruction's steps copied into a numbered list, a
// text-only item a tenth the length of a compound one. `ask` is question answering in other phrasings
// (questions.ts).

import { Rng } from '../../tensor/index.js';
import {
  modelImage,
  modelText,
  type Segment,
  type TaskItem,
  type TaskKind,
  userImage,
  userText,
  WORLD_TASKS,
} from '../sequence.js';
import { applyEdit, type Edit, editInstruction, editRegions, refer, sampleEdit } from './edits.js';
import { FACTS } from './facts.js';
import { LETTERS } from './font.js';
import { sampleRephrased } from './questions.js';
import { renderScene } from './render.js';
import { type Split, sampleScene, sceneSplit } from './sample.js';
import { caption, describePrompt, objectPhrase, type Rect, type Scene } from './scene.js';
import {
  BACKGROUNDS,
  CELL_NAMES,
  HELDOUT_WORDS,
  isHeldoutPair,
  isHeldoutWord,
  OBJECT_COLORS,
  SHAPES,
  SIZES,
  WORD_MAX,
  WORD_MIN,
} from './spec.js';

export { WORLD_TASKS } from '../sequence.js';
export type WorldTask = (typeof WORLD_TASKS)[number] & TaskKind;

const img = (scene: Scene) => ({ pixels: renderScene(scene), scene });

function item(task: WorldTask, split: Split, seed: number, index: number, segments: Segment[]): TaskItem {
  return { id: `${task}-${split}-${seed}-${index}`, task, split, segments };
}

/** A question about a scene with its exact answer. */
export function sampleQuestion(rng: Rng, s: Scene): { q: string; a: string } {
  const kinds = ['color', 'count', 'what', 'relation', 'countColor'];
  if (s.sign) kinds.push('sign');
  if (s.character) kinds.push('eyes', 'accessory');
  const kind = rng.pick(kinds);
  const o = s.objects.length > 0 ? rng.pick(s.objects) : null;
  if (kind === 'color' && o)
    return { q: `what color is the ${o.size} ${o.shape} at the ${CELL_NAMES[o.cell]}?`, a: o.color };
  if (kind === 'countColor') {
    // half of them about a colour the scene has: drawn from all colours alone, the answer was "0" 69%
    // of the time, and a model learned to answer 0 whatever it saw (bench:questions)
    const c = o && rng.chance(0.5) ? o.color : rng.pick(OBJECT_COLORS);
    return { q: `how many ${c} shapes are there?`, a: String(s.objects.filter((x) => x.color === c).length) };
  }
  if (kind === 'what') {
    const cell = rng.between(0, 8);
    const here = s.objects.find((x) => x.cell === cell);
    const a = here ? `a ${objectPhrase(here)}` : s.character?.cell === cell ? 'the character' : 'nothing';
    return { q: `what is at the ${CELL_NAMES[cell]}?`, a };
  }
  if (kind === 'relation' && s.objects.length >= 2) {
    const [p, r] = rng.shuffled(s.objects);
    const horizontal = rng.chance(0.5);
    const yes = horizontal ? p.cell % 3 < r.cell % 3 : Math.floor(p.cell / 3) < Math.floor(r.cell / 3);
    return { q: `is ${refer(s, p)} ${horizontal ? 'left of' : 'above'} ${refer(s, r)}?`, a: yes ? 'yes' : 'no' };
  }
  if (kind === 'sign') return { q: 'what does the sign say?', a: s.sign!.toLowerCase() };
  if (kind === 'eyes') return { q: "what color are the character's eyes?", a: s.character!.eyes };
  if (kind === 'accessory')
    return {
      q: 'what is the character wearing?',
      a: s.character!.accessory === 'none' ? 'nothing' : `a ${s.character!.accessory}`,
    };
  return { q: 'how many shapes are there?', a: String(s.objects.length) };
}

function sampleWithSign(rng: Rng, split: Split): Scene {
  for (;;) {
    const s = sampleScene(rng, split);
    if (s.sign) return s;
  }
}

/**
 * A random string of WORD_MIN..WORD_MAX capital letters that is not a held-out word (train split); the
 * held-out split's "letter strings" are the held-out words themselves, the ones training must reach.
 */
export function sampleLetterString(rng: Rng, split: Split): string {
  if (split === 'heldout') return rng.pick(HELDOUT_WORDS);
  for (;;) {
    const n = rng.between(WORD_MIN, WORD_MAX);
    let w = '';
    for (let i = 0; i < n; i++) w += LETTERS[rng.between(0, LETTERS.length - 1)];
    if (!isHeldoutWord(w)) return w;
  }
}

/** A scene of the split with a sign of a random letter string (sampleLetterString). */
function sampleWithLetters(rng: Rng, split: Split): Scene {
  const s = sampleWithSign(rng, split);
  const t = { ...s, sign: sampleLetterString(rng, split) };
  return sceneSplit(t) === split ? t : sampleWithLetters(rng, split);
}

/** A chain of edits from a scene; each step's scene and regions. The chain stays in its split's rules. */
export function sampleChain(rng: Rng, start: Scene, split: Split, n: number, ops?: readonly Edit['op'][]) {
  const steps: { edit: Edit; instruction: string; before: Scene; after: Scene; regions: Rect[] }[] = [];
  let cur = start;
  for (let i = 0; i < n; i++) {
    const edit = sampleEdit(rng, cur, split, ops);
    const after = applyEdit(cur, edit);
    steps.push({ edit, instruction: editInstruction(cur, edit), before: cur, after, regions: editRegions(cur, edit) });
    cur = after;
  }
  return steps;
}

/** Builds one item of a task kind. Pure function of (task, split, seed, index). */
export function makeWorldItem(task: WorldTask, split: Split, seed: number, index: number): TaskItem {
  const rng = Rng.world(seed).fork(index * 131 + WORLD_TASKS.indexOf(task));
  const mk = (segs: Segment[]) => item(task, split, seed, index, segs);
  switch (task) {
    case 'caption': {
      const s = sampleScene(rng, split);
      return mk([
        userImage(img(s)),
        userText('describe the image.'),
        modelText(caption(s), { type: 'text', answer: caption(s) }),
      ]);
    }
    case 'vqa': {
      const s = sampleScene(rng, split);
      const { q, a } = sampleQuestion(rng, s);
      return mk([userImage(img(s)), userText(q), modelText(a, { type: 'text', answer: a })]);
    }
    case 'ask': {
      const s = sampleScene(rng, split);
      const { q, a } = sampleRephrased(rng, s);
      return mk([userImage(img(s)), userText(q), modelText(a, { type: 'text', answer: a })]);
    }
    case 'ocr':
    case 'letters_ocr': {
      const s = task === 'ocr' ? sampleWithSign(rng, split) : sampleWithLetters(rng, split);
      const a = s.sign!.toLowerCase();
      return mk([userImage(img(s)), userText('what does the sign say?'), modelText(a, { type: 'text', answer: a })]);
    }
    case 't2i':
    case 'letters_t2i': {
      const s = task === 't2i' ? sampleScene(rng, split) : sampleWithLetters(rng, split);
      return mk([userText(describePrompt(s)), modelImage(img(s), { type: 'scene', scene: s })]);
    }
    case 'edit': {
      const s = sampleScene(rng, split);
      const [st] = sampleChain(rng, s, split, 1);
      return mk([
        userImage(img(s)),
        userText(st.instruction),
        modelImage(img(st.after), { type: 'edit', scene: st.after, regions: st.regions }),
      ]);
    }
    case 'chain': {
      const s = sampleScene(rng, split);
      const segs: Segment[] = [userImage(img(s))];
      for (const st of sampleChain(rng, s, split, rng.between(3, 6))) {
        segs.push(userText(st.instruction));
        segs.push(modelImage(img(st.after), { type: 'edit', scene: st.after, regions: st.regions }));
      }
      return mk(segs);
    }
    case 'compound':
    case 'plan': {
      const s = sampleScene(rng, split);
      // Each step is phrased against the scene it acts on, so the plan can be executed turn by turn.
      const steps = sampleChain(rng, s, split, rng.between(2, 3));
      const ask = userText(`${steps.map((st) => st.instruction).join(', then ')}.`);
      const plan = modelText(steps.map((st, i) => `${i + 1}. ${st.instruction}`).join('\n'), {
        type: 'plan',
        steps: steps.map((st) => st.instruction),
      });
      if (task === 'plan') return mk([ask, plan]); // the plan alone, without the images
      const final = steps[steps.length - 1].after;
      return mk([
        userImage(img(s)),
        ask,
        plan,
        modelImage(img(final), { type: 'edit', scene: final, regions: steps.flatMap((st) => st.regions) }),
      ]);
    }
    case 'fact': {
      const f = rng.pick(FACTS);
      return rng.chance(0.5)
        ? mk([userText(`what color is a ${f.thing}?`), modelText(f.color, { type: 'text', answer: f.color })])
        : mk([userText(`tell me a fact about a ${f.thing}.`), modelText(`a ${f.thing} is ${f.color}.`)]);
    }
    case 'fact_t2i': {
      const f = rng.pick(FACTS.filter((x) => x.heldout === (split === 'heldout')));
      const shape = rng.pick(SHAPES.filter((sh) => split === 'heldout' || !isHeldoutPair(f.color, sh)));
      const size = rng.pick(SIZES);
      const cell = rng.between(0, 8);
      const background = rng.pick(BACKGROUNDS);
      const s: Scene = { background, objects: [{ shape, color: f.color, size, cell }], sign: null, character: null };
      const prompt = `draw a ${size} ${shape} the color of a ${f.thing} at the ${CELL_NAMES[cell]}, on a ${background} background`;
      return mk([userText(prompt), modelImage(img(s), { type: 'scene', scene: s })]);
    }
    case 'imagine': {
      const s = sampleScene(rng, split);
      const [st] = sampleChain(rng, s, split, 1, ['recolor', 'move', 'add', 'remove', 'resize']);
      const { q, a } = sampleQuestion(rng, st.after);
      return mk([
        userImage(img(s)),
        userText(`imagine we ${st.instruction}. then answer: ${q}`),
        modelImage(img(st.after), { type: 'edit', scene: st.after, regions: st.regions }),
        modelText(a, { type: 'text', answer: a }),
      ]);
    }
  }
}

/** n items of a task; the split of each item is checked against the scenes it shows. */
export function makeWorldItems(task: WorldTask, split: Split, seed: number, n: number): TaskItem[] {
  return Array.from({ length: n }, (_, i) => makeWorldItem(task, split, seed, i));
}

/** The split an item's images belong to: held-out when any scene in it is held-out. */
export function itemSceneSplit(it: TaskItem): Split {
  return it.segments.some((s) => s.image?.scene && sceneSplit(s.image.scene) === 'heldout') ? 'heldout' : 'train';
}
