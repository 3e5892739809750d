// The verifier: exact on clean renders, robust to stated perturbations, and rejecting each wrong attribute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addNoise,
  blur,
  compareScenes,
  jitterEdges,
  parseImage,
  preservation,
  renderScene,
  type Scene,
  sampleScene,
  shift,
  strayPixels,
  upscale,
  verifyImage,
  wordMetrics,
} from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';

function scenes(n: number, seed: number): Scene[] {
  const rng = Rng.world(seed);
  return Array.from({ length: n }, (_, i) => sampleScene(rng, i % 2 ? 'train' : 'heldout'));
}

function exactRate(
  list: Scene[],
  perturb: (s: Scene) => Scene | ReturnType<typeof renderScene>,
): { rate: number; wordRate: number; nonWordRate: number } {
  let ok = 0;
  let words = 0;
  let nonWord = 0;
  for (const s of list) {
    const v = verifyImage(s, perturb(s) as ReturnType<typeof renderScene>);
    if (v.ok) ok++;
    if (v.byKind.word === 0) words++;
    if (v.mismatches.every((m) => m.kind === 'word')) nonWord++;
  }
  return { rate: ok / list.length, wordRate: words / list.length, nonWordRate: nonWord / list.length };
}

test('clean renders: 500 scenes recovered exactly, every attribute', () => {
  for (const s of scenes(500, 1))
    assert.deepEqual(compareScenes(s, parseImage(renderScene(s))).mismatches, [], JSON.stringify(s));
});

test('a 4x nearest-neighbour view parses like the native image', () => {
  for (const s of scenes(20, 2)) assert.ok(verifyImage(s, upscale(renderScene(s), 4)).ok);
});

test('robust: triangular noise of amplitude 40 per channel, 1-px shifts, 30 stray pixels: all exact', () => {
  const rng = Rng.world(3);
  const list = scenes(200, 4);
  assert.equal(exactRate(list, (s) => addNoise(renderScene(s), rng, 40)).rate, 1);
  assert.equal(exactRate(list, (s) => shift(renderScene(s), rng.between(-1, 1), rng.between(-1, 1))).rate, 1);
  assert.equal(exactRate(list, (s) => strayPixels(renderScene(s), rng, 30)).rate, 1);
});

test('robust: one 3x3 binomial blur: all exact', () => {
  assert.equal(exactRate(scenes(200, 5), (s) => blur(renderScene(s))).rate, 1);
});

test('robust: ragged edges (15% of edge pixels copy a neighbour): scene attributes >= 90%, words >= 85%', () => {
  const rng = Rng.world(6);
  const r = exactRate(scenes(200, 7), (s) => jitterEdges(renderScene(s), rng, 0.15));
  assert.ok(r.nonWordRate >= 0.9, `non-word attributes exact in ${r.nonWordRate}`);
  assert.ok(r.wordRate >= 0.85, `words exact in ${r.wordRate}`);
});

test('robust: blur + 1-px shift + noise 20 + 10 stray pixels together: >= 90% exact', () => {
  const rng = Rng.world(8);
  const r = exactRate(scenes(200, 9), (s) =>
    strayPixels(addNoise(blur(shift(renderScene(s), 1, 1)), rng, 20), rng, 10),
  );
  assert.ok(r.rate >= 0.9, `exact in ${r.rate}`);
});

const base: Scene = {
  background: 'white',
  objects: [
    { shape: 'circle', color: 'red', size: 'large', cell: 0 },
    { shape: 'square', color: 'blue', size: 'small', cell: 4 },
  ],
  sign: 'CAT',
  character: { face: 'round', eyes: 'green', body: 'purple', accessory: 'hat', cell: 8 },
};

function wrongKinds(wrong: Scene): string[] {
  return [...new Set(verifyImage(base, renderScene(wrong)).mismatches.map((m) => m.kind))];
}

test('rejects a wrong image for every attribute kind', () => {
  const variants: [string, (s: Scene) => void][] = [
    ['color', (s) => (s.objects[0].color = 'green')],
    ['shape', (s) => (s.objects[0].shape = 'triangle')],
    ['size', (s) => (s.objects[1].size = 'large')],
    ['position', (s) => (s.objects[1].cell = 5)],
    ['count', (s) => s.objects.pop()],
    ['background', (s) => (s.background = 'gray')],
    ['word', (s) => (s.sign = 'CAR')],
    ['identity', (s) => (s.character!.eyes = 'blue')],
    ['identity', (s) => (s.character!.face = 'square')],
    ['identity', (s) => (s.character!.body = 'red')],
    ['accessory', (s) => (s.character!.accessory = 'crown')],
    ['character', (s) => (s.character = null)],
  ];
  assert.ok(verifyImage(base, renderScene(base)).ok);
  for (const [kind, change] of variants) {
    const wrong = structuredClone(base);
    change(wrong);
    assert.deepEqual(wrongKinds(wrong), [kind], `${kind}: ${JSON.stringify(wrong)}`);
  }
});

test('word metrics and preservation', () => {
  assert.deepEqual(wordMetrics('CAT', 'CAT'), { exact: true, ned: 0 });
  assert.deepEqual(wordMetrics('CAT', 'CAR'), { exact: false, ned: 1 / 3 });
  assert.equal(wordMetrics('CAT', null).ned, 1);
  const a = renderScene(base);
  const b = renderScene({ ...base, sign: 'DOG' });
  assert.equal(preservation(a, b, [{ x: 0, y: 56, w: 64, h: 8 }]), 1);
  assert.ok(preservation(a, b, []) < 1);
});
