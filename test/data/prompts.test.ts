// The prompt reader (src/data/world/prompt.ts, instruction.ts): every paraphrase in the fixture parses to
// its canonical prompt's scene; prompts from outside the world name the words the model cannot draw; the
// trained phrasing of random scenes from the world sampler parses back to the same scene (fast-check);
// edit instructions parse to the edits.ts phrasing and Edit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  describePrompt,
  editInstruction,
  instructionForModel,
  parseInstruction,
  parsePrompt,
  promptForModel,
  renderScene,
  type Scene,
  sampleEdit,
  sampleScene,
  turnTextForModel,
} from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';
import { OUT_OF_WORLD, PARAPHRASES } from '../fixtures/prompt-paraphrases.js';

test('the fixture: at least 40 paraphrases over at least 10 canonical scenes', () => {
  assert.ok(PARAPHRASES.length >= 10, `${PARAPHRASES.length} groups`);
  const n = PARAPHRASES.reduce((a, g) => a + g.paraphrases.length, 0);
  assert.ok(n >= 40, `${n} paraphrases`);
});

test('every canonical prompt parses completely and back to itself', () => {
  for (const g of PARAPHRASES) {
    const p = parsePrompt(g.canonical);
    assert.ok(p.complete, `${g.canonical}: ${p.notices.join('; ')}`);
    assert.deepEqual(p.notices, [], g.canonical);
    assert.equal(p.canonical, g.canonical);
  }
});

test('every paraphrase parses to its canonical scene, with no unknown words', () => {
  for (const g of PARAPHRASES) {
    const want = parsePrompt(g.canonical).scene;
    for (const text of g.paraphrases) {
      const p = parsePrompt(text);
      assert.deepEqual(p.unknown, [], text);
      assert.ok(p.complete, `${text}: ${p.notices.join('; ')}`);
      assert.deepEqual(p.scene, want, text);
      assert.equal(p.canonical, g.canonical, text);
    }
  }
});

test('the issue: "a large red circle at the center on a white background" reads as the trained prompt', () => {
  const p = promptForModel('a large red circle at the center on a white background');
  assert.equal(p.text, 'draw a large red circle at the center, on a white background');
  assert.ok(p.canonicalized);
  assert.deepEqual(p.notices, []);
});

test('prompts from outside the world: a notice naming each word, and no canonical rewrite', () => {
  for (const { prompt, words } of OUT_OF_WORLD) {
    const p = parsePrompt(prompt);
    assert.equal(p.complete, false, prompt);
    for (const w of words) {
      assert.ok(p.unknown.includes(w), `${prompt}: "${w}" not in [${p.unknown}]`);
      assert.ok(
        p.notices.some((n) => n.includes(`"${w}"`)),
        `${prompt}: no notice names "${w}"`,
      );
    }
    const m = promptForModel(prompt);
    assert.equal(m.text, prompt);
    assert.equal(m.canonicalized, false);
  }
  assert.equal(parsePrompt('a photo of a cat on a sofa').scene, null);
});

test('a sign word used as a subject gets a hint to ask for a sign', () => {
  const p = parsePrompt('a photo of a cat on a sofa');
  assert.ok(p.notices.some((n) => n.includes('a sign that says CAT')));
});

test('missing attributes are assumed out loud; impossible ones are refused', () => {
  const a = parsePrompt('a red circle');
  assert.ok(a.complete);
  assert.equal(a.canonical, 'draw a large red circle at the center, on a white background');
  assert.equal(a.notices.length, 3, a.notices.join('; '));
  for (const bad of [
    'a large red circle at the center on a blue background',
    'a large white square at the top',
    'a large red circle left of a small blue square, white background',
    'a large red circle and a small blue square both at the center, white background',
    'a sign that says ELEPHANT on a white background',
  ]) {
    const p = parsePrompt(bad);
    assert.equal(p.complete, false, bad);
    assert.ok(p.notices.length > 0, bad);
  }
});

test('property: describePrompt of any sampled scene parses back to that scene', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (seed, heldout) => {
      const s = sampleScene(new Rng(seed), heldout ? 'heldout' : 'train');
      const p = parsePrompt(describePrompt(s));
      assert.deepEqual(p.scene, s, describePrompt(s));
      assert.ok(p.complete, p.notices.join('; '));
      assert.equal(p.canonical, describePrompt(s));
    }),
    { numRuns: 300, seed: 13 },
  );
});

test('property: editInstruction of any sampled edit parses back to that edit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const s: Scene = sampleScene(rng, 'train');
      const e = sampleEdit(rng, s, 'train');
      const text = editInstruction(s, e);
      const p = parseInstruction(text, s);
      assert.ok(p.complete, `${text}: ${p.notices.join('; ')}`);
      assert.deepEqual(p.edit, e, text);
      assert.equal(p.canonical, text);
    }),
    { numRuns: 300, seed: 13 },
  );
});

test('edit instructions in other words give the trained phrasing', () => {
  const s: Scene = {
    background: 'white',
    objects: [
      { shape: 'circle', color: 'red', size: 'large', cell: 0 },
      { shape: 'square', color: 'blue', size: 'small', cell: 4 },
    ],
    sign: 'CAT',
    character: { face: 'round', eyes: 'blue', body: 'red', accessory: 'hat', cell: 8 },
  };
  const cases: [string, string][] = [
    ['turn the big red circle blue', 'make the large red circle blue'],
    ['delete the square', 'remove the small blue square'],
    ['move the character to the upper right', 'move the character to the top right'],
    ['put a small green cross at the bottom', 'add a small green cross at the bottom'],
    ['make the sign say moon', 'change the sign to say MOON'],
    ['switch the background to black', 'change the background to black'],
    ['take the hat off', "take off the character's hat"],
    ['make the circle tiny', 'make the large red circle small'],
    ['Move the blue square to the top-right corner.', 'move the small blue square to the top right'],
  ];
  for (const [text, want] of cases) {
    const p = parseInstruction(text, s);
    assert.equal(p.canonical, want, `${text}: ${p.notices.join('; ')}`);
    assert.ok(p.complete, text);
  }
  const none = parseInstruction('make the triangle green', s);
  assert.equal(none.complete, false);
  assert.ok(none.notices.some((n) => n.includes('no triangle')));
  const cat = parseInstruction('add a cat at the top', s);
  assert.ok(cat.unknown.includes('cat'));
});

/** A scene of one large red circle at the top left. */
const one: Scene = {
  background: 'white',
  objects: [{ shape: 'circle', color: 'red', size: 'large', cell: 0 }],
  sign: null,
  character: null,
};

test('"it" names the one shape of the scene, and is refused with a hint where it cannot', () => {
  const cases: [string, string][] = [
    ['make it blue', 'make the large red circle blue'],
    ['move it to the bottom right', 'move the large red circle to the bottom right'],
    ['put it at the center', 'move the large red circle to the center'],
    ['make that one small', 'make the large red circle small'],
    ['delete it', 'remove the large red circle'],
  ];
  for (const [text, want] of cases) {
    const p = parseInstruction(text, one);
    assert.equal(p.canonical, want, `${text}: ${p.notices.join('; ')}`);
    assert.ok(p.complete, text);
    assert.deepEqual(instructionForModel(text, one).text, want);
  }
  const two: Scene = { ...one, objects: [...one.objects, { shape: 'square', color: 'blue', size: 'small', cell: 4 }] };
  const many = parseInstruction('make it blue', two);
  assert.equal(many.complete, false);
  assert.ok(
    many.notices.some((n) => n.includes('the scene has 2 shapes; say which')),
    many.notices.join('; '),
  );
  const bare = parseInstruction('make it blue');
  assert.equal(bare.complete, false);
  assert.ok(bare.notices.some((n) => n.includes('"it" needs the image')));
});

test('a turn is read against the image it edits, as a scene prompt without one, and as written when not understood', () => {
  const image = renderScene(one);
  assert.deepEqual(turnTextForModel('make it blue', image), {
    text: 'make the large red circle blue',
    canonicalized: true,
    notices: [],
  });
  const prompt = 'a red circle in the top left corner';
  assert.deepEqual(turnTextForModel(prompt, null), promptForModel(prompt));
  assert.ok(turnTextForModel(prompt, null).canonicalized);
  for (const question of ['what color is the circle?', 'how many objects are there?']) {
    const t = turnTextForModel(question, image);
    assert.equal(t.text, question);
    assert.equal(t.canonicalized, false);
  }
});
