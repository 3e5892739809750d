// The sequence builder: loss masks cover exactly the produced segments (and their closing markers),
// image tokens carry their 2-D positions, and items round-trip through ids back to text and codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeWorldItem, type TaskItem, WORLD_TASKS } from '../../src/data/index.js';
import { buildSequence, imageCodes, modelConfig, parseSequence, specialIds } from '../../src/model/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const items: TaskItem[] = WORLD_TASKS.flatMap((t) => [0, 1].map((i) => makeWorldItem(t, 'train', 11, i)));

test('the loss mask covers exactly the model turns after <|model|>, including <|end|>', () => {
  const sp = specialIds(tok);
  for (const it of items) {
    const s = buildSequence(it, tok);
    let inModel = false;
    for (let t = 0; t < s.ids.length; t++) {
      const id = s.ids[t];
      if (id === sp.model) {
        assert.equal(s.produced[t], 0, `${it.id}: <|model|> at ${t} is given, not produced`);
        inModel = true;
        continue;
      }
      if (id === sp.user) inModel = false;
      assert.equal(s.produced[t], inModel ? 1 : 0, `${it.id}: token ${t} (${id})`);
      if (id === sp.end) inModel = false;
    }
    // Every produced content token belongs to a segment with train=true.
    for (const seg of s.segments)
      for (let t = seg.start; t < seg.end; t++) assert.equal(s.produced[t], it.segments[seg.segment].train ? 1 : 0);
  }
});

test('image codes get row-major 2-D positions 0..63 and the markers around them none', () => {
  const sp = specialIds(tok);
  for (const it of items) {
    const s = buildSequence(it, tok);
    for (const seg of s.segments.filter((x) => x.kind === 'image')) {
      assert.equal(seg.end - seg.start, 64);
      assert.equal(s.ids[seg.start - 1], sp.image);
      assert.equal(s.ids[seg.end], sp.imageEnd);
      assert.equal(s.pos2d[seg.start - 1], -1);
      assert.equal(s.pos2d[seg.end], -1);
      for (let p = 0; p < 64; p++) {
        assert.equal(s.pos2d[seg.start + p], p);
        assert.ok(s.ids[seg.start + p] >= sp.imageBase);
      }
    }
    const imageTokens = s.pos2d.filter((p) => p >= 0).length;
    assert.equal(imageTokens, 64 * it.segments.filter((x) => x.kind === 'image').length);
  }
});

test('round trip: ids -> segments gives back every text and every image code grid', () => {
  for (const it of items) {
    const s = buildSequence(it, tok);
    const back = parseSequence(s.ids, tok);
    assert.equal(back.length, it.segments.length, it.id);
    back.forEach((d, i) => {
      const seg = it.segments[i];
      assert.equal(d.role, seg.role);
      assert.equal(d.kind, seg.kind);
      if (d.kind === 'text') assert.equal(d.text, seg.text);
      else assert.deepEqual(d.codes, imageCodes(seg.image!, tok.image));
    });
  }
});

test('condition dropout empties user text and keeps images and answers', () => {
  const it = makeWorldItem('edit', 'train', 11, 3);
  const full = buildSequence(it, tok);
  const drop = buildSequence(it, tok, { dropText: true });
  const back = parseSequence(drop.ids, tok);
  assert.ok(!back.some((d) => d.role === 'user' && d.kind === 'text'));
  assert.equal(full.ids.length - drop.ids.length, tok.text.encode(it.segments[1].text!).length);
});

test('the config rejects unknown keys and bad values and is frozen', () => {
  assert.throws(() => modelConfig({ nLayers: 3 }), /unknown key "nLayers"/);
  assert.throws(() => modelConfig({ nEmbd: 50, nHead: 4 }), /not divisible/);
  assert.throws(() => modelConfig({}, 'huge' as 'tiny'), /unknown preset/);
  const c = modelConfig({}, 'tiny');
  assert.ok(Object.isFrozen(c));
  assert.equal(JSON.parse(JSON.stringify(c)).nLayer, c.nLayer);
});
