// The learning gate: a tiny multimodal model, fixed seed, memorises a small mixed set (captions: text
// answers; text-to-image: image codes) so that text loss and image loss both fall below thresholds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeWorldItem } from '../../src/data/index.js';
import { MultimodalModel, modelConfig } from '../../src/model/index.js';
import { AdamW, clipGradNorm, noGrad, Rng, tidy } from '../../src/tensor/index.js';
import { makeBatch } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

test('tiny model: text loss < 0.5 and image loss < 1.0 on a small mixed set', () => {
  const tok = testTokenizers();
  const cfg = modelConfig(
    {
      textVocabSize: tok.text.vocabSize,
      imageCodebookSize: tok.image.codebookSize,
      blockSize: 112,
      nEmbd: 64,
      mlpHidden: 128,
    },
    'tiny',
  );
  const model = new MultimodalModel(cfg, tok.image);
  const opt = new AdamW(model.params, { lr: 1e-2, weightDecay: 0 });
  const items = [0, 1].flatMap((i) => [makeWorldItem('vqa', 'train', 4, i), makeWorldItem('t2i', 'train', 4, i)]);
  const b = makeBatch(items, tok, cfg.blockSize, 0, new Rng(1));
  let text = Number.POSITIVE_INFINITY;
  let image = Number.POSITIVE_INFINITY;
  let first = 0;
  for (let s = 0; s < 80; s++)
    tidy(() => {
      model.params.zeroGrad();
      const h = model.hidden(b.ids, b.pos2d, b.B, b.T);
      const loss = model.lossFrom(h, b.targets);
      if (s === 0) first = loss.item();
      loss.backward();
      clipGradNorm(model.params, 1);
      opt.update();
      noGrad(() => {
        text = model.lossFrom(h, b.targets, b.textRows).item();
        image = model.lossFrom(h, b.targets, b.imageRows).item();
        if (process.env.LEARN_DEBUG && s % 10 === 0) console.log(s, text, image);
      });
    });
  assert.ok(first > 5, `initial loss ${first} should be near ln(V)`);
  assert.ok(text < 0.5, `text loss ${text.toFixed(3)} should fall below 0.5`);
  assert.ok(image < 1.0, `image loss ${image.toFixed(3)} should fall below 1.0`);
});
