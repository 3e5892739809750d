// The edit recipe's loss weights (changedCodeWeights): in an edit item, exactly the target rows whose code
// differs from the input image's code at the same grid position are weighted, at the positions where the
// image tokenizer's codes of the two pictures differ; text-to-image items (no earlier image) are not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeWorldItem, type Segment } from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';
import { codesPerImage } from '../../src/tokenizers/index.js';
import { changedCodeWeights, makeBatch, trainConfig } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const images = (segs: Segment[]) =>
  segs
    .filter((s) => s.kind === 'image')
    .map((s) => (s as { image: { pixels: { data: Uint8Array } } }).image.pixels.data);

test('edit items: weighted rows are the changed codes, at their positions; t2i rows stay 1', () => {
  let weighted = 0;
  for (let k = 0; k < 6; k++) {
    const edit = makeWorldItem('edit', 'train', 7, k);
    const t2i = makeWorldItem('t2i', 'train', 7, k);
    const b = makeBatch([edit, t2i], tok, 384, 0, new Rng(1));
    const w = changedCodeWeights(b, tok.text.vocabSize, codesPerImage(tok.image), 4);
    const [before, after] = tok.image.encode(images(edit.segments));
    const changed = [...before.keys()].filter((p) => before[p] !== after[p]);
    const rows = [...w.subarray(0, b.T).keys()].filter((i) => w[i] === 4);
    assert.equal(rows.length, changed.length, `edit ${k}: ${changed.length} codes change`);
    assert.deepEqual(
      rows.map((i) => b.pos2d[i + 1]),
      changed,
      'each weighted row predicts a changed position',
    );
    assert.ok(
      [...w.subarray(b.T)].every((x) => x === 1),
      'a text-to-image item has no earlier image',
    );
    assert.ok([...w].every((x) => x === 1 || x === 4));
    weighted += rows.length;
  }
  assert.ok(weighted > 0, 'some edit changed a code');
});

test('editChangeWeight: 1 by default, refused outside [1, 100]', () => {
  assert.equal(trainConfig({}, 'default').editChangeWeight, 1);
  assert.equal(trainConfig({ editChangeWeight: 4 }, 'default').editChangeWeight, 4);
  assert.throws(() => trainConfig({ editChangeWeight: 0.5 }, 'default'), /editChangeWeight/);
});
