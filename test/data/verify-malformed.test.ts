// The verifier's malformed-shape tolerance: clean and noisy renders pass, drawings with a stem, a flattened
// side or a block of 6-70 pixels off the asked shape are refused (a 'shape' mismatch naming the defect).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addNoise,
  blur,
  cellOrigin,
  jitterEdges,
  PALETTE,
  parseImageFits,
  type RgbImage,
  renderScene,
  type Scene,
  sampleScene,
  shift,
  strayPixels,
  VERIFY_THRESHOLDS,
  verifyImage,
} from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';

type Pt = [number, number];
const rect = (x0: number, y0: number, w: number, h: number): Pt[] =>
  Array.from({ length: w * h }, (_, i) => [x0 + (i % w), y0 + Math.floor(i / w)] as Pt);

/** Paints cell-relative pixels of cell 4 in a palette color. */
function paint(img: RgbImage, pts: Pt[], rgb: readonly number[]): RgbImage {
  const o = cellOrigin(4);
  for (const [x, y] of pts) img.data.set(rgb, ((o.y + y) * img.width + o.x + x) * 3);
  return img;
}

const one = (shape: Scene['objects'][0]['shape'], size: Scene['objects'][0]['size']): Scene => ({
  background: 'white',
  objects: [{ shape, color: 'blue', size, cell: 4 }],
  sign: null,
  character: null,
});

function maxDefect(list: Scene[], perturb: (img: RgbImage) => RgbImage): { max: number; over: number; n: number } {
  let max = 0;
  let over = 0;
  let n = 0;
  for (const s of list)
    for (const f of parseImageFits(perturb(renderScene(s))).fits) {
      n++;
      max = Math.max(max, f.defect);
      if (f.defect > VERIFY_THRESHOLDS.maxDefectPixels) over++;
    }
  return { max, over, n };
}

const scenes = (n: number, seed: number) => {
  const rng = Rng.world(seed);
  return Array.from({ length: n }, (_, i) => sampleScene(rng, i % 2 ? 'train' : 'heldout'));
};

test('clean renders, noise 40, 1-px shifts, 30 stray pixels and blur: no defect pixels at all', () => {
  const rng = Rng.world(11);
  const list = scenes(150, 12);
  assert.equal(maxDefect(list, (im) => im).max, 0);
  assert.equal(maxDefect(list, (im) => addNoise(im, rng, 40)).max, 0);
  assert.equal(maxDefect(list, (im) => shift(im, rng.between(-1, 1), rng.between(-1, 1))).max, 0);
  assert.equal(maxDefect(list, (im) => strayPixels(im, rng, 30)).max, 0);
  assert.equal(maxDefect(list, (im) => blur(im)).max, 0);
});

test('ragged edges (15%) and blur + shift + noise + strays: >= 97% of objects within the tolerance', () => {
  const rng = Rng.world(13);
  const list = scenes(150, 14);
  for (const r of [
    maxDefect(list, (im) => jitterEdges(im, rng, 0.15)),
    maxDefect(list, (im) => strayPixels(addNoise(blur(shift(im, 1, 1)), rng, 20), rng, 10)),
  ])
    assert.ok(r.over / r.n <= 0.03, `${r.over} of ${r.n} objects over the tolerance`);
});

test('a 2x2 blemish is tolerated', () => {
  const img = paint(renderScene(one('square', 'large')), rect(6, 6, 2, 2), PALETTE.white);
  assert.ok(verifyImage(one('square', 'large'), img).ok);
});

test('a circle with a stem is refused as a malformed circle', () => {
  const s = one('circle', 'small');
  const v = verifyImage(s, paint(renderScene(s), rect(7, 12, 2, 3), PALETTE.blue));
  assert.equal(v.parsed.objects[0]?.shape, 'circle', 'the parser still reads a circle');
  assert.deepEqual(
    v.mismatches.map((m) => [m.kind, m.actual]),
    [['shape', 'malformed circle (6 px off)']],
  );
});

test('a "D" (a square with its right corners rounded) is refused', () => {
  const s = one('square', 'large');
  const cut: Pt[] = [
    [14, 1],
    [13, 1],
    [12, 1],
    [14, 2],
    [13, 2],
    [14, 3],
    [14, 14],
    [13, 14],
    [12, 14],
    [14, 13],
    [13, 13],
    [14, 12],
  ];
  const v = verifyImage(s, paint(renderScene(s), cut, PALETTE.white));
  assert.equal(v.parsed.objects[0]?.shape, 'square', 'the parser still reads a square');
  assert.ok(!v.ok);
  assert.deepEqual(
    v.mismatches.map((m) => m.kind),
    ['shape'],
  );
});

test('a block of 6 to 70 pixels off the asked shape (missing or extra) is refused, every shape and size', () => {
  for (const size of ['small', 'large'] as const)
    for (const shape of ['circle', 'square', 'triangle', 'cross'] as const)
      for (const k of [6, 8, 12, 20, 35, 50, 70]) {
        const s = one(shape, size);
        const side = size === 'small' ? 8 : 14;
        const off = (16 - side) / 2;
        // Missing: the k shape pixels nearest the shape's centre (a compact hole; one-pixel-deep bites along
        // an edge are what ragged edges look like, and pass).
        const clean = renderScene(s);
        const o = cellOrigin(4);
        const shapePx: Pt[] = [];
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++) {
            const i = ((o.y + y) * 64 + o.x + x) * 3;
            if (clean.data[i] === PALETTE.blue[0] && clean.data[i + 2] === PALETTE.blue[2]) shapePx.push([x, y]);
          }
        const d = (p: Pt) => (p[0] - 7.5) ** 2 + (p[1] - 7.5) ** 2 + p[0] * 1e-3;
        const inside = shapePx.sort((a, b) => d(a) - d(b)).slice(0, k);
        if (inside.length < k) continue; // a small cross has 28 pixels
        const bitten = paint(renderScene(s), inside, PALETTE.white);
        assert.ok(!verifyImage(s, bitten).ok, `${size} ${shape} missing ${k} px passed`);
        // Extra: a block of k pixels glued below the shape, 2 px wide (a stem) where there is room.
        if (size === 'small') {
          const stem = rect(7, off + side, 2, Math.min(off, Math.ceil(k / 2)));
          if (stem.length >= 6) {
            const grown = paint(renderScene(s), stem, PALETTE.blue);
            assert.ok(!verifyImage(s, grown).ok, `${size} ${shape} with a ${stem.length}-px stem passed`);
          }
        }
      }
});
