// The model reading its own outputs back (src/infer/reading.ts), on the shipped model: the reading text of
// a prompt; reading losses that prefer the drawing of the asked scene to one with the shape swapped;
// captions ranked both ways that prefer the true caption; generate --candidates returning the drawing of
// lowest reading loss; captions refined one word at a time and signs read both ways; and the refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caption, evaluationItems, renderScene, type Scene, userImage, userText } from '../../src/data/index.js';
import {
  captionLosses,
  captionNeighbours,
  describeImage,
  drawCodes,
  editImage,
  generateImages,
  hasSign,
  NO_SIGN,
  RequestInputError,
  rankByReading,
  readingLosses,
  readingQuestion,
  readingText,
  readSign,
  Session,
} from '../../src/infer/index.js';
import { defaultModelDir, loadModel } from '../../src/model/index.js';
import { itemLosses } from '../../src/train/own-eval.js';

const { model, tok } = loadModel(defaultModelDir());

const scene = (
  shape: 'circle' | 'square' | 'triangle',
  color: 'red' | 'blue' | 'green' | 'pink',
  cell: number,
  sign: string | null = null,
): Scene => ({
  background: 'white',
  objects: [{ shape, color, size: 'large', cell }],
  sign,
  character: null,
});
const codesOf = (s: Scene) => tok.image.encode([renderScene(s).data])[0];

test('readingText: the parsed scene caption, or the prompt less "draw" and its full stop', () => {
  const s = scene('circle', 'red', 0);
  assert.equal(readingText(`draw ${caption(s)}`), caption(s));
  assert.equal(readingText('a big red circle in the top left corner. White background.'), caption(s));
  assert.equal(readingText('draw a purple elephant.'), 'a purple elephant');
});

test('reading losses prefer the drawing of the asked scene to one with another shape or colour', () => {
  for (const [want, wrong] of [
    [scene('circle', 'red', 0), scene('square', 'red', 0)],
    [scene('triangle', 'blue', 4), scene('triangle', 'green', 4)],
    [scene('square', 'green', 8), scene('square', 'green', 2)],
  ] as const) {
    const [right, other] = readingLosses(model, tok, [codesOf(want), codesOf(wrong)], caption(want));
    assert.ok(right < other, `${caption(want)}: ${right} vs ${other}`);
    const ranked = rankByReading(model, tok, [codesOf(wrong), codesOf(want)], caption(want));
    assert.deepEqual(
      ranked.map((r) => r.index),
      [1, 0],
    );
  }
});

test("itemLosses 'sum' is the mean times the produced tokens", () => {
  const img = { pixels: renderScene(scene('circle', 'red', 0)) };
  const items = ['describe the image.', 'what is at the top left?'].map((q, i) => ({
    id: `s${i}`,
    task: 'caption' as const,
    split: 'heldout' as const,
    segments: [
      userImage(img),
      userText(q),
      { role: 'model' as const, kind: 'text' as const, text: 'a red circle', train: true },
    ],
  }));
  const mean = itemLosses(model, tok, items);
  const sum = itemLosses(model, tok, items, 8, 'sum');
  const produced = tok.text.encode('a red circle').length + 1; // and <|end|>
  for (let i = 0; i < items.length; i++) assert.ok(Math.abs(sum[i] - mean[i] * produced) < 1e-3 * sum[i]);
});

test('captions ranked both ways: the true caption before ones with a shape or a cell changed', () => {
  const s = scene('triangle', 'red', 6); // a held-out colour-shape pair: never drawn or read in training
  const image = { pixels: renderScene(s) };
  const wrong = [caption(scene('square', 'red', 6)), caption(scene('triangle', 'red', 8))];
  const [right, ...others] = captionLosses(model, tok, image, [caption(s), ...wrong]);
  for (const o of others) assert.ok(right < o, `${right} vs ${o}`);
});

test('describeImage: distinct candidates ranked by their loss, the first the caption; 1 is greedy', () => {
  const image = { pixels: renderScene(scene('circle', 'blue', 4)) };
  const d = describeImage(model, tok, image, { candidates: 6, seed: 3 });
  assert.equal(d.caption, d.ranked[0].caption);
  assert.equal(new Set(d.ranked.map((r) => r.caption)).size, d.ranked.length);
  for (let i = 1; i < d.ranked.length; i++) assert.ok(d.ranked[i - 1].loss <= d.ranked[i].loss);
  const again = describeImage(model, tok, image, { candidates: 6, seed: 3 });
  assert.deepEqual(again, d);
  const greedy = describeImage(model, tok, image, { candidates: 1 });
  assert.equal(greedy.ranked.length, 1);
  assert.ok(
    d.ranked.some((r) => r.caption === greedy.caption),
    'the greedy caption is a candidate',
  );
  assert.throws(() => describeImage(model, tok, image, { candidates: 0 }), /candidates must be an integer in 1\.\.64/);
});

test("captionNeighbours: each object's shape and colour, and the sign's word, swapped one at a time", () => {
  const c =
    'a small red square at the left, a round-faced character with green eyes and a red body at the top and a sign that says CAT, on a white background';
  const n = captionNeighbours(c, ['CAT', 'DOG']);
  assert.equal(n.length, 3 + 7 + 1, n.join('\n'));
  assert.ok(n.includes(c.replace('red square', 'red circle')));
  assert.ok(n.includes(c.replace('red square', 'brown square')));
  assert.ok(n.includes(c.replace('CAT,', 'DOG,')));
  assert.ok(!n.includes(c));
  assert.ok(!n.some((x) => x.includes('green body') || x.includes('red eyes')), 'the character is not an object');
  assert.deepEqual(captionNeighbours('nothing to change here', ['CAT']), []);
});

test('describeImage refines a held-out pair that no sampled caption names, and a sign word into the one readSign reads', () => {
  const pink = { pixels: renderScene(scene('circle', 'pink', 0)) }; // a held-out colour-shape pair
  const sampled = describeImage(model, tok, pink, { candidates: 4, seed: 1, refine: 0 });
  const refined = describeImage(model, tok, pink, { candidates: 4, seed: 1 });
  const want = caption(scene('circle', 'pink', 0));
  assert.notEqual(sampled.caption, want, 'sampling alone names it as a trained pair');
  assert.equal(refined.caption, want);
  assert.ok(refined.ranked[0].loss < sampled.ranked[0].loss);
  assert.ok(refined.ranked.length > sampled.ranked.length, 'the neighbours scored are ranked too');
  for (let i = 1; i < refined.ranked.length; i++) assert.ok(refined.ranked[i - 1].loss <= refined.ranked[i].loss);
  const frog = { pixels: renderScene(scene('circle', 'blue', 4, 'FROG')) }; // a held-out word
  assert.match(describeImage(model, tok, frog, { candidates: 4, seed: 1, refine: 0 }).caption, /says FRO,/);
  assert.match(describeImage(model, tok, frog, { candidates: 4, seed: 1 }).caption, /says FROG,/);
});

test('readSign: reading plus drawing corrects a misread held-out word; ranked, deterministic, 1 is greedy', () => {
  const item = evaluationItems(['ocr'], 30, 1000, 'heldout')[6];
  const image = item.segments[0].image!;
  assert.equal(item.segments[2].text, 'zebra');
  assert.equal(readSign(model, tok, image, { candidates: 1 }).word, 'zebrea', 'greedy reading misspells it');
  const r = readSign(model, tok, image, { candidates: 8, seed: 0 });
  assert.equal(r.word, 'zebra');
  assert.equal(r.word, r.ranked[0].word);
  for (let i = 1; i < r.ranked.length; i++) assert.ok(r.ranked[i - 1].loss <= r.ranked[i].loss);
  assert.ok(r.ranked.every((x) => /^[a-z]+$/.test(x.word)));
  assert.deepEqual(readSign(model, tok, image, { candidates: 8, seed: 0 }), r);
  assert.throws(() => readSign(model, tok, image, { candidates: 65 }), /candidates must be an integer in 1\.\.64/);
});

test('generate with candidates returns the drawings of lowest reading loss, best first', () => {
  const prompt = `draw ${caption(scene('circle', 'green', 2))}`;
  const all = generateImages(model, tok, prompt, { n: 6, seed: 5 });
  const best = generateImages(model, tok, prompt, { n: 2, candidates: 6, seed: 5 });
  const losses = readingLosses(
    model,
    tok,
    all.map((im) => tok.image.encode([im.data])[0]),
    readingText(prompt),
  );
  const order = losses.map((l, i) => [l, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.equal(best.length, 2);
  assert.deepEqual(best[0].data, all[order[0][1]].data);
  assert.deepEqual(best[1].data, all[order[1][1]].data);
});

test('candidates are refused below n, above 64 and for edits, with the range in the message', () => {
  const p = 'draw a large red circle at the top left, on a white background';
  assert.throws(() => generateImages(model, tok, p, { n: 3, candidates: 2 }), RequestInputError);
  assert.throws(() => generateImages(model, tok, p, { candidates: 65 }), /candidates must be an integer in n\.\.64/);
  const img = renderScene(scene('circle', 'red', 0));
  assert.throws(() => editImage(model, tok, img, 'make the circle blue', { candidates: 4 }), /text-to-image prompt/);
});

test('sessions answer the caption and sign questions by reading both ways; read: false is the greedy reply', () => {
  assert.equal(readingQuestion('  Describe the  image '), 'caption');
  assert.equal(readingQuestion('what does the sign say'), 'sign');
  assert.equal(readingQuestion('what color is the circle?'), null);
  assert.equal(readingQuestion(undefined), null);
  const engine = { model, tok };
  const pink = renderScene(scene('circle', 'pink', 0)); // a held-out colour-shape pair
  const want = caption(scene('circle', 'pink', 0));
  const s = new Session('read-1', 2);
  const read = s.addTurn(engine, { image: pink, text: 'Describe the image.' });
  assert.deepEqual(read.output, [{ kind: 'text', text: want }]);
  const greedy = new Session('read-2', 2).addTurn(
    engine,
    { image: pink, text: 'describe the image.' },
    { read: false },
  );
  assert.equal(greedy.output.length, 1);
  assert.ok(greedy.output[0].kind === 'text' && greedy.output[0].text !== want, 'greedy names a trained pair');
  // a later turn without an image of its own reads the latest one
  s.addTurn(engine, { image: renderScene(scene('circle', 'blue', 4, 'FROG')), text: 'describe the image.' });
  const sign = s.addTurn(engine, { text: 'what does the sign say?' });
  assert.deepEqual(sign.output, [{ kind: 'text', text: 'frog' }]);
  assert.equal(sign.parent, sign.id - 1);
  // asked of an image without a sign: the model reads none, so there is no word to read
  assert.equal(hasSign(model, tok, { pixels: pink }, 'zoo'), false);
  const none = s.addTurn(engine, { image: pink, text: 'what does the sign say?' });
  assert.deepEqual(none.output, [{ kind: 'text', text: NO_SIGN }]);
  const guessed = s.addTurn(engine, { image: pink, text: 'what does the sign say?' }, { read: false });
  assert.ok(guessed.output[0].kind === 'text' && /^[a-z]+$/.test(guessed.output[0].text), 'greedy reads letters');
});

test("sessions rank a first picture's candidates by reading, as generate --candidates does; edits are left alone", () => {
  const engine = { model, tok };
  const prompt = `draw ${caption(scene('circle', 'pink', 4))}`; // a held-out colour-shape pair
  const s = new Session('cand-1', 3);
  const first = s.addTurn(engine, { text: prompt }, { mode: 'image', candidates: 8 });
  // the turn's seed is session seed * 100003 + turn id, as for every other turn
  const o = { candidates: 8, seed: 3 * 100003 + 1 };
  const [best] = generateImages(model, tok, prompt, o);
  const [codes] = drawCodes(model, tok, [userText(prompt)], o, readingText(prompt));
  assert.equal(first.output.length, 1);
  const out = first.output[0];
  assert.ok(out.kind === 'image');
  assert.deepEqual(out.image.data, best.data);
  assert.deepEqual(out.codes, codes);
  // 'auto' ranks too when the text describes a whole scene
  const auto = new Session('cand-2', 3).addTurn(engine, { text: prompt }, { candidates: 8 });
  assert.deepEqual(auto.output, first.output);
  // the next turn edits the picture: not ranked, the same reply as without candidates
  const edit = 'make the circle blue';
  const ranked = s.addTurn(engine, { text: edit }, { candidates: 8 });
  s.undo();
  const plain = s.addTurn(engine, { text: edit });
  assert.equal(plain.parent, ranked.parent);
  assert.deepEqual(
    plain.output.map((o) => (o.kind === 'image' ? [...o.codes!] : o.text)),
    ranked.output.map((o) => (o.kind === 'image' ? [...o.codes!] : o.text)),
  );
  assert.throws(
    () => new Session('cand-3').addTurn(engine, { text: prompt }, { candidates: 0 }),
    /candidates must be an integer in 1\.\.64/,
  );
});
