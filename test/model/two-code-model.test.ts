// The joint model on two codes a patch (ModelConfig.codesPerPatch 2, model/two-code.ts): an image is
// 2 * grid^2 tokens with positions patch-major and a slot each; the sampler draws shape codes at even
// positions and colour codes at odd ones, KEEP included; a tiny model memorises two pictures and draws them
// back token for token; a checkpoint keeps the VQ tokenizer and wraps it again on load, with every logit
// the same; configs that mix two codes with tile-grounded heads, and codes of the wrong length, are refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWorldItem } from '../../src/data/index.js';
import { sampleImages } from '../../src/infer/index.js';
import {
  buildSequence,
  loadModel,
  MultimodalModel,
  modelConfig,
  saveModel,
  specialIds,
  type Tokenizers,
  TwoCodeTokenizer,
} from '../../src/model/index.js';
import { AdamW, clipGradNorm, noGrad, Rng, tidy } from '../../src/tensor/index.js';
import { codesPerImage, drawnSoFar } from '../../src/tokenizers/index.js';
import { keepTargets, makeBatch } from '../../src/train/batch.js';
import { Trainer, trainConfig } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

const base = testTokenizers();
const tok: Tokenizers = { text: base.text, image: new TwoCodeTokenizer(base.image) };
const two = tok.image as TwoCodeTokenizer;
const config = (o: Record<string, number> = {}) =>
  modelConfig(
    {
      textVocabSize: tok.text.vocabSize,
      imageCodebookSize: tok.image.codebookSize,
      codesPerPatch: 2,
      blockSize: 400,
      ...o,
    },
    'tiny',
  );

/** The prompt of an item's first model image (ids up to and including its <|image|>) and that image's codes. */
function promptAndImage(item: ReturnType<typeof makeWorldItem>) {
  const seq = buildSequence(item, tok);
  const sp = specialIds(tok);
  const seg = seq.segments.filter((s) => s.role === 'model' && s.kind === 'image').at(-1)!;
  return {
    cond: { ids: seq.ids.slice(0, seg.start), pos2d: seq.pos2d.slice(0, seg.start) },
    codes: Array.from(seq.ids.subarray(seg.start, seg.end), (id) => id - sp.imageBase),
  };
}

test('sequences: an image is 2 * grid^2 codes, shape then colour, positions 0..127; a config mixing heads is refused', () => {
  const seq = buildSequence(makeWorldItem('edit', 'train', 3, 0), tok);
  const sp = specialIds(tok);
  const inImage = Array.from(seq.pos2d).filter((p) => p >= 0);
  assert.equal(inImage.length, 2 * codesPerImage(tok.image), 'two images of 128 codes each');
  assert.deepEqual(inImage.slice(0, 128), [...Array(128).keys()]);
  seq.pos2d.forEach((p, i) => {
    if (p < 0) return;
    const [lo, hi] = two.slotRange(p);
    const k = seq.ids[i] - sp.imageBase;
    assert.ok(k >= lo && k < hi, `position ${p}: code ${k} outside [${lo}, ${hi})`);
  });
  const m = new MultimodalModel(config(), tok.image);
  assert.equal(m.codesPerImage, 128);
  assert.throws(() => noGrad(() => m.hidden(Int32Array.of(0), Int32Array.of(128), 1, 1)), /outside an image of 128/);
  assert.throws(() => config({ tileEdges: 1 }), /plain rows: tileEdges, maskColorRank and codeFactorRows/);
  assert.throws(() => config({ codesPerPatch: 3 }), /codesPerPatch must be 1 or 2/);
  assert.throws(() => config({ blockSize: 120 }), /cannot hold one image of 128 codes/);
  assert.throws(() => new MultimodalModel(config(), base.image), /writes 1 codes a patch, the config 2/);
  assert.throws(() => trainConfig({ twoCodes: 1, tileEdges: 1 }), /twoCodes reads codes as plain rows/);
  assert.throws(() => trainConfig({ twoCodes: 1, init: 'models/x' }), /twoCodes is for a fresh run/);
});

test('the sampler draws a shape code at even positions and a colour code at odd ones, KEEP included', () => {
  const m = new MultimodalModel(config({ keepCode: 1 }), tok.image);
  // an untrained model's logits favour no slot: every draw must still land in its slot's range
  const { cond } = promptAndImage(makeWorldItem('edit', 'train', 3, 1));
  const rngs = [new Rng(1), new Rng(2), new Rng(3)];
  const drawn = noGrad(() => sampleImages(m, tok, cond, null, rngs, { temperature: 1.5 }));
  for (const codes of drawn) {
    assert.equal(codes.length, 128);
    codes.forEach((k, p) => {
      const [lo, hi] = two.slotRange(p);
      assert.ok(k >= lo && k < hi, `position ${p}: ${k} outside [${lo}, ${hi})`);
    });
    assert.equal(tok.image.decode([codes])[0].length, 64 * 64 * 3);
  }
  // a partly drawn image decodes (the rest filled with a valid code of each slot)
  const half = drawnSoFar(tok.image, drawn[0].subarray(0, 37), 37);
  assert.deepEqual(Array.from(half.subarray(0, 37)), Array.from(drawn[0].subarray(0, 37)));
  assert.equal(tok.image.decode([half]).length, 1);
  // KEEP targets on an edit: the output tokens equal to the input's at their position
  const b = makeBatch([makeWorldItem('edit', 'train', 3, 1)], tok, m.config.blockSize, 0, new Rng(1));
  const { targets, keepable } = keepTargets(b, m.config.textVocabSize, m.codesPerImage, m.keepId);
  assert.ok(targets.includes(m.keepId), 'an edit keeps some tokens');
  assert.equal(
    keepable!.reduce((a: number, x: number) => a + x, 0),
    128,
    'every output token of the edit has a previous one',
  );
});

test('a tiny two-code model memorises two pictures and draws them back token for token; save and load keep it', () => {
  const m = new MultimodalModel(config({ nEmbd: 64, mlpHidden: 128 }), tok.image);
  const items = [makeWorldItem('t2i', 'train', 4, 0), makeWorldItem('t2i', 'train', 4, 1)];
  const b = makeBatch(items, tok, m.config.blockSize, 0, new Rng(1));
  const opt = new AdamW(m.params, { lr: 1e-2, weightDecay: 0 });
  let first = 0;
  let last = 0;
  for (let s = 0; s < 70; s++)
    tidy(() => {
      m.params.zeroGrad();
      const loss = m.lossFrom(m.hidden(b.ids, b.pos2d, b.B, b.T), b.targets);
      if (s === 0) first = loss.item();
      last = loss.item();
      loss.backward();
      clipGradNorm(m.params, 1);
      opt.update();
    });
  assert.ok(first > 5 && last < 0.3, `loss ${first.toFixed(2)} -> ${last.toFixed(3)}`);
  for (const item of items) {
    const { cond, codes } = promptAndImage(item);
    const [got] = noGrad(() => sampleImages(m, tok, cond, null, [new Rng(1)]));
    assert.deepEqual(Array.from(got), codes, item.id);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tessera-two-code-'));
  try {
    saveModel(join(dir, 'm'), m, tok);
    const back = loadModel(join(dir, 'm'));
    assert.ok(back.tok.image instanceof TwoCodeTokenizer, 'the VQ tokenizer is wrapped again');
    assert.equal(back.model.config.codesPerPatch, 2);
    const [x, y] = noGrad(() => [m, back.model].map((k) => Array.from(k.forward(b.ids, b.pos2d, b.B, b.T).data)));
    assert.deepEqual(y, x);
    // a two-code model fine-tuned with a tile-grounded option is refused, not silently built without it
    assert.throws(
      () => Trainer.create(trainConfig({ init: join(dir, 'm'), tileEdges: 1 }, 'tiny')),
      /is a two-code model \(codes are plain rows\): tileEdges/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
