// KEEP ("this patch as in the previous image"): the upgrade keeps every logit, edit targets that equal the
// previous image's code become KEEP and nothing else does, and the sampler draws KEEP as the previous
// image's code (never offered without a previous image).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWorldItem, renderScene, sampleScene, userImage, userText } from '../../src/data/index.js';
import { editImage, generateImages, sampleTurn, turnPrompt } from '../../src/infer/index.js';
import { loadModel, MultimodalModel, modelConfig, saveModel, specialIds } from '../../src/model/index.js';
import { noGrad, Rng } from '../../src/tensor/index.js';
import { codesPerImage } from '../../src/tokenizers/index.js';
import { keepTargets, makeBatch } from '../../src/train/batch.js';
import { trainConfig } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const base = () =>
  new MultimodalModel(
    modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize }, 'tiny'),
    tok.image,
  );

test('withKeepCode: one more image output whose logit starts at 0, every other logit unchanged', () => {
  const m = base();
  const k = m.withKeepCode(tok.image);
  assert.equal(k.config.keepCode, 1);
  assert.equal(k.vocabSize, m.vocabSize + 1);
  assert.equal(k.keepId, m.vocabSize);
  assert.equal(m.keepId, -1);
  assert.equal(k.withKeepCode(tok.image), k, 'already has it');
  const item = makeWorldItem('edit', 'train', 1, 0);
  const b = makeBatch([item], tok, m.config.blockSize, 0, new Rng(1));
  const [a, c] = noGrad(() => [m, k].map((x) => Array.from(x.forward(b.ids, b.pos2d, 1, b.T).data)));
  const V = m.vocabSize;
  for (let t = 0; t < b.T; t++) {
    assert.deepEqual(c.slice(t * (V + 1), t * (V + 1) + V), a.slice(t * V, (t + 1) * V), `token ${t}`);
    assert.equal(c[t * (V + 1) + V], 0);
  }
  // Saved and loaded with its KEEP weights; a checkpoint without the key (before KEEP) loads without it.
  k.params.get('img.keep').data.fill(0.5);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-keep-'));
  try {
    saveModel(join(dir, 'm'), k, tok);
    const back = loadModel(join(dir, 'm')).model;
    assert.equal(back.config.keepCode, 1);
    assert.deepEqual(back.params.get('img.keep').data, k.params.get('img.keep').data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => modelConfig({ keepCode: 2 }), /keepCode must be 0 or 1/);
  assert.throws(() => trainConfig({ keepCode: 0.5 }), /keepCode must be 0 or 1/);
});

test('keepTargets: exactly the edit targets equal to the input code at their position become KEEP', () => {
  const k = base().withKeepCode(tok.image);
  const Vt = tok.text.vocabSize;
  // The first edit that is not of the background (which changes every patch).
  let i = 0;
  while (makeWorldItem('edit', 'train', 1, i).segments[1].text!.startsWith('change the background')) i++;
  const item = makeWorldItem('edit', 'train', 1, i);
  const [before, after] = item.segments.filter((s) => s.image).map((s) => s.image!.pixels);
  const [cb, ca] = tok.image.encode([before.data, after.data]);
  const same = Array.from(ca).filter((x, p) => x === cb[p]).length;
  assert.ok(same > 20 && same < 64, `${same} of 64 codes unchanged`);
  const b = makeBatch([item], tok, k.config.blockSize, 0, new Rng(1));
  const { targets: t, keepable } = keepTargets(b, Vt, codesPerImage(tok.image), k.keepId);
  let kept = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === k.keepId) kept++;
    else assert.equal(t[i], b.targets[i], `row ${i} changed to something other than KEEP`);
  }
  assert.equal(kept, same);
  // KEEP is offered on the 64 rows that draw the edited image (there is an image before it), nowhere else.
  assert.equal(
    keepable!.reduce((a, x) => a + x, 0),
    64,
  );
  // The input image's own tokens are not targets, and the ids fed are untouched.
  assert.equal(keepTargets(b, Vt, codesPerImage(tok.image), -1).targets, b.targets);
  const t2i = makeBatch([makeWorldItem('t2i', 'train', 1, 3)], tok, k.config.blockSize, 0, new Rng(1));
  const first = keepTargets(t2i, Vt, codesPerImage(tok.image), k.keepId);
  assert.deepEqual(first.targets, t2i.targets, 'a first picture has nothing to keep');
  assert.ok(first.keepable!.every((x) => x === 0));
});

test('sampler: KEEP is drawn as the previous image code, and never offered for a first picture', () => {
  const k = base().withKeepCode(tok.image);
  // Every hidden state is v (final layer norm with zero gain, bias v); codes all score 0, KEEP |v|^2.
  const C = k.config.nEmbd;
  const v = Float32Array.from({ length: C }, (_, i) => Math.sin(i + 1));
  k.params.get('lnf.w').data.fill(0);
  k.params.get('lnf.b').data.set(v);
  k.params.get('img.out').data.fill(0);
  k.params.get('img.keep').data.set(v);
  const input = renderScene(sampleScene(new Rng(4)));
  const roundTrip = tok.image.decode(tok.image.encode([input.data]))[0];
  const [edited] = editImage(k, tok, input, 'make the circle blue');
  assert.deepEqual(edited.data, roundTrip, 'every patch kept');
  // Through sampleTurn (sessions, evaluation) too.
  const prompt = turnPrompt([userImage({ pixels: input }), userText('make it blue')], tok, false, true);
  const out = sampleTurn(k, tok, prompt, null, { maxImages: 1 });
  const sp = specialIds(tok);
  const codes = out.ids.slice(0, 64).map((id) => id - sp.imageBase);
  assert.deepEqual(codes, Array.from(tok.image.encode([input.data])[0]));
  assert.ok(!out.ids.includes(k.keepId), 'KEEP is never fed or returned');
  // keepBias lowers KEEP's logit: past |v|^2 the codes (all 0) win, and code 0 is drawn everywhere.
  const vv = v.reduce((a, x) => a + x * x, 0);
  const [redrawn] = editImage(k, tok, input, 'make the circle blue', { keepBias: vv + 1 });
  assert.deepEqual(redrawn.data, tok.image.decode([new Int32Array(64)])[0]);
  assert.deepEqual(editImage(k, tok, input, 'make the circle blue', { keepBias: vv - 1 })[0].data, roundTrip);
  // No previous image: all codes tie at 0, so greedy draws code 0 everywhere; KEEP is not allowed.
  const [drawn] = generateImages(k, tok, 'a red circle', { temperature: 0 });
  assert.deepEqual(drawn.data, tok.image.decode([new Int32Array(64)])[0]);
});
