// Per-attribute scores of captions and answers: the canonical caption scores 1 on every attribute, and a
// caption or answer wrong in one attribute loses exactly that one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caption, type Scene } from '../../src/data/index.js';
import { judgeAnswer, judgeCaption, readObjects } from '../../src/eval/index.js';

const scene: Scene = {
  background: 'white',
  objects: [
    { shape: 'circle', color: 'red', size: 'large', cell: 0 },
    { shape: 'square', color: 'blue', size: 'small', cell: 4 },
  ],
  sign: 'CAT',
  character: null,
};

function scores(judgeWith: (note: (a: string, ok: boolean) => void) => void): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  judgeWith((a, ok) => {
    out[a] ??= [];
    out[a].push(ok ? 1 : 0);
  });
  return out;
}

test('readObjects reads the canonical phrasing, cells of two words first', () => {
  assert.deepEqual(readObjects('a small red circle at the top left and a large blue cross at the top'), [
    { size: 'small', color: 'red', shape: 'circle', cell: 0 },
    { size: 'large', color: 'blue', shape: 'cross', cell: 1 },
  ]);
});

test('the canonical caption: every attribute right', () => {
  const s = scores((note) => judgeCaption(scene, caption(scene), note));
  assert.deepEqual(s, { count: [1], color: [1, 1], shape: [1, 1], size: [1, 1], cell: [1, 1], word: [1] });
});

test('a caption wrong in one attribute loses only that attribute', () => {
  const wrongShape = caption(scene).replace('blue square', 'blue triangle');
  assert.deepEqual(scores((note) => judgeCaption(scene, wrongShape, note)).shape, [1, 0]);
  const wrongCell = caption(scene).replace('at the center', 'at the right');
  const c = scores((note) => judgeCaption(scene, wrongCell, note));
  assert.deepEqual(c.cell, [1, 0]);
  assert.deepEqual(c.color, [1, 1]);
  const wrongWord = caption(scene).replace('says CAT', 'says CAR');
  assert.deepEqual(scores((note) => judgeCaption(scene, wrongWord, note)).word, [0]);
  const missing = scores((note) =>
    judgeCaption(scene, 'a large red circle at the top left, on a white background', note),
  );
  assert.deepEqual(missing.count, [0]);
  assert.deepEqual(missing.color, [1, 0], 'an object not named scores 0 on every attribute');
});

test('each object is heard named or not: all four of its attributes right, or not', () => {
  const named = (text: string) => {
    const out: [string, boolean][] = [];
    judgeCaption(
      scene,
      text,
      () => {},
      (o, ok) => out.push([`${o.color} ${o.shape}`, ok]),
    );
    return out;
  };
  assert.deepEqual(named(caption(scene)), [
    ['red circle', true],
    ['blue square', true],
  ]);
  assert.deepEqual(named(caption(scene).replace('small blue square', 'large blue square')), [
    ['red circle', true],
    ['blue square', false],
  ]);
  assert.deepEqual(named('a large red circle at the top left, on a white background'), [
    ['red circle', true],
    ['blue square', false],
  ]);
});

test('answers are scored on the attribute asked about', () => {
  assert.deepEqual(
    scores((n) => judgeAnswer('what color is the small square at the center?', 'blue', 'blue', n)),
    { color: [1] },
  );
  assert.deepEqual(
    scores((n) => judgeAnswer('how many shapes are there?', '2', '1', n)),
    { count: [0] },
  );
  assert.deepEqual(
    scores((n) => judgeAnswer('what does the sign say?', 'cat', 'cat', n)),
    { word: [1] },
  );
  assert.deepEqual(
    scores((n) => judgeAnswer('is the red circle left of the blue square?', 'yes', 'no', n)),
    {
      cell: [0],
    },
  );
  assert.deepEqual(
    scores((n) => judgeAnswer('what is at the top left?', 'a large red circle', 'a large red square', n)),
    { cell: [1], color: [1], shape: [0], size: [1] },
  );
  assert.deepEqual(
    scores((n) => judgeAnswer('what is at the top?', 'nothing', 'a small red square', n)),
    {
      cell: [0],
    },
  );
  assert.deepEqual(
    scores((n) => judgeAnswer('what is the character wearing?', 'a hat', 'a hat', n)),
    {},
  );
});
