// Two codes a patch (src/model/two-code.ts) on the shipped VQ-VAE: images round-trip to what the verifier
// reads of the VQ-VAE's own reconstruction, held-out pairs included; every shape and colour token of a
// held-out pair's patches occurs in training scenes (the point of it: none of their VQ codes does); tokens
// sit in their slot's range; bad lengths and tokens in the wrong slot are refused with the ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHeldoutPair, parseImage, renderScene, sampleScene } from '../../src/data/index.js';
import { TwoCodeTokenizer } from '../../src/model/index.js';
import { Rng } from '../../src/tensor/index.js';
import { defaultImageTokenizerDir, Vqvae } from '../../src/tokenizers/index.js';

const vq = Vqvae.load(defaultImageTokenizerDir());
const two = new TwoCodeTokenizer(vq);
const rng = new Rng(11);
const held = Array.from({ length: 24 }, () => sampleScene(rng, 'heldout'));
const trained = Array.from({ length: 300 }, () => sampleScene(rng, 'train'));
const image = (s: (typeof held)[number]) => renderScene(s).data;
const rgb = (data: Uint8Array) => ({ width: 64, height: 64, data });

test('shape codes, then colour codes; fewer of both than VQ codes', () => {
  assert.equal(two.codebookSize, two.shapeCodes + two.colorCodes);
  assert.ok(two.shapeCodes < vq.codebookSize && two.colorCodes < 100, `${two.shapeCodes} ${two.colorCodes}`);
  const [t] = two.encode([image(held[0])]);
  assert.equal(t.length, two.codesPerImage);
  assert.equal(t.length, 2 * 64);
  t.forEach((x, j) => {
    const [lo, hi] = two.slotRange(j);
    assert.ok(x >= lo && x < hi, `token ${j} = ${x} outside [${lo}, ${hi})`);
  });
});

test("images decode to what the verifier reads of the VQ-VAE's own reconstruction", () => {
  const imgs = held.map(image);
  const mine = two.decode(two.encode(imgs));
  const theirs = vq.decode(vq.encode(imgs));
  for (let i = 0; i < imgs.length; i++) {
    assert.deepEqual(parseImage(rgb(mine[i])), parseImage(rgb(theirs[i])), `scene ${i}`);
    assert.deepEqual(parseImage(rgb(mine[i])), held[i], `scene ${i} is the one rendered`);
  }
  for (const t of two.encode(imgs)) assert.equal(two.toVqCodes(t).fallbacks, 0);
});

test("a held-out pair's patches: no VQ code of them is in training scenes, every shape and colour token is", () => {
  const seen = { vq: new Set<number>(), two: new Set<number>() };
  for (const c of vq.encode(trained.map(image))) {
    for (const k of c) seen.vq.add(k);
    for (const x of two.fromVqCodes(c)) seen.two.add(x);
  }
  let patches = 0;
  let newCodes = 0;
  held.forEach((s, i) => {
    const [codes] = vq.encode([image(s)]);
    const tokens = two.fromVqCodes(codes);
    for (const o of s.objects.filter((x) => isHeldoutPair(x.color, x.shape))) {
      const r0 = 1 + Math.floor(o.cell / 3) * 2;
      const c0 = 1 + (o.cell % 3) * 2;
      for (const p of [r0 * 8 + c0, r0 * 8 + c0 + 1, (r0 + 1) * 8 + c0, (r0 + 1) * 8 + c0 + 1]) {
        patches++;
        if (!seen.vq.has(codes[p])) newCodes++;
        assert.ok(seen.two.has(tokens[2 * p]), `scene ${i} patch ${p}: shape token ${tokens[2 * p]} unseen`);
        assert.ok(seen.two.has(tokens[2 * p + 1]), `scene ${i} patch ${p}: colour token unseen`);
      }
    }
  });
  assert.ok(patches >= 40, `${patches} patches`);
  assert.ok(
    newCodes / patches > 0.5,
    `${newCodes} of ${patches} held-out-pair patches have VQ codes never in training`,
  );
});

test('bad input is refused with the ranges', () => {
  assert.throws(() => two.fromVqCodes(new Int32Array(10)), /10 VQ codes, an image has 64/);
  assert.throws(() => two.fromVqCodes(new Int32Array(64).fill(vq.codebookSize)), /VQ code 2048 at patch 0 is outside/);
  assert.throws(() => two.toVqCodes(new Int32Array(64)), /64 tokens, an image has 128/);
  const swapped = new Int32Array(128);
  swapped[0] = two.shapeCodes; // a colour token where a shape belongs
  assert.throws(() => two.toVqCodes(swapped), /patch 0 has tokens .* a shape is 0\.\.\d+, a colour \d+\.\.\d+/);
});
