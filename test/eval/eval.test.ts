// Guided sampling writes only image codes inside image spans (KV cache, CFG), and evaluation by the
// verifier on a handful of held-out items of every task kind produces every metric key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluationItems, makeWorldItem, type TaskKind } from '../../src/data/index.js';
import { evaluate, METRIC_KEYS } from '../../src/eval/index.js';
import { guide, imagePrompt, pickToken, sampleImages, sampleTurn } from '../../src/infer/index.js';
import { buildSequence, MultimodalModel, modelConfig, specialIds } from '../../src/model/index.js';
import { Rng } from '../../src/tensor/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const model = new MultimodalModel(
  modelConfig({ textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize, blockSize: 384 }, 'tiny'),
  tok.image,
);

test('guide() is uncond + s * (cond - uncond)', () => {
  const out = guide(Float32Array.of(1, 2), Float32Array.of(0.5, 3), 3, new Float32Array(2));
  assert.deepEqual([...out], [0.5 + 3 * 0.5, 3 + 3 * -1]);
});

/** The prompt of an item's first model turn, opened with <|image|> (the model must draw now). */
function open(s: ReturnType<typeof buildSequence>) {
  const sp = specialIds(tok);
  const end = s.turns[1].start + 1;
  return {
    ids: Int32Array.from([...s.ids.slice(0, end), sp.image]),
    pos2d: Int32Array.from([...s.pos2d.slice(0, end), -1]),
  };
}

test('a guided image span holds exactly 64 image codes and is closed by <|/image|>', () => {
  const sp = specialIds(tok);
  const it = makeWorldItem('t2i', 'heldout', 2, 0);
  const full = buildSequence(it, tok);
  const unc = buildSequence(it, tok, { dropText: true });
  for (const temperature of [0, 1]) {
    const r = sampleTurn(model, tok, open(full), open(unc), {
      guidance: 3,
      temperature,
      topK: 50,
      rng: new Rng(5),
      maxTextTokens: 4,
    });
    const close = r.ids.indexOf(sp.imageEnd);
    assert.equal(close, 64, 'the first 64 generated tokens are the image');
    for (const id of r.ids.slice(0, 64))
      assert.ok(id >= sp.imageBase && id < sp.imageBase + sp.imageCount, `id ${id} is an image code`);
    let inside = false;
    for (const id of r.ids.slice(65)) {
      if (id === sp.image) inside = true;
      else if (id === sp.imageEnd) inside = false;
      else assert.ok(inside === id >= sp.imageBase, `image codes appear only inside image spans (id ${id})`);
    }
    const img = r.segments.find((s) => s.kind === 'image');
    assert.ok(img && img.kind === 'image' && img.codes.length === 64);
  }
});

test('evaluation on one held-out item per task kind reports every metric key', () => {
  const kinds: TaskKind[] = [
    'caption',
    'vqa',
    'ocr',
    't2i',
    'edit',
    'compound',
    'fact',
    'fact_t2i',
    'imagine',
    'emoji_caption',
    'emoji_edit',
  ];
  const items = evaluationItems(kinds, 1);
  const r = evaluate(model, tok, items, { maxTextTokens: 8 });
  for (const k of METRIC_KEYS) assert.ok(k in r.metrics, `metric ${k} present`);
  for (const k of [
    'caption_acc',
    'vqa_acc',
    'ocr_acc',
    't2i_acc',
    'edit_success',
    'knowledge_transfer_acc',
    'fact_acc',
  ] as const)
    assert.ok(r.counts[k] >= 1, `${k} judged at least once`);
  assert.ok(JSON.parse(JSON.stringify(r.metrics)));
});

test('batched variants: row b of sampleImages is what sampleTurn draws with rng b', () => {
  const it = makeWorldItem('t2i', 'train', 7, 1);
  const full = buildSequence(it, tok);
  const unc = buildSequence(it, tok, { dropText: true });
  const opts = { guidance: 3, temperature: 1, topK: 20 };
  const batched = sampleImages(model, tok, open(full), open(unc), [new Rng(1), new Rng(2), new Rng(3)], opts);
  assert.equal(batched.length, 3);
  batched.forEach((codes, b) => {
    const one = sampleTurn(model, tok, open(full), open(unc), { ...opts, rng: new Rng(b + 1), maxTextTokens: 0 });
    const img = one.segments.find((s) => s.kind === 'image');
    assert.ok(img && img.kind === 'image');
    assert.deepEqual([...codes], [...img.codes], `variant ${b}`);
  });
  assert.notDeepEqual([...batched[0]], [...batched[1]], 'different rngs give different variants');
  assert.throws(() => sampleImages(model, tok, full, unc, [new Rng(1)]), /must end with <\|image\|>/);
});

test('two-scale edit guidance: the image term vanishes when the bare prompt equals the text-dropped one', () => {
  const user = makeWorldItem('edit', 'train', 7, 2).segments.filter((s) => s.role === 'user');
  const full = imagePrompt(user, tok, false);
  const unc = imagePrompt(user, tok, true);
  const bare = imagePrompt(
    user.filter((s) => s.kind !== 'image'),
    tok,
    true,
  );
  const opts = { guidance: 2, temperature: 1, topK: 20 };
  const rngs = () => [new Rng(4), new Rng(5)];
  const plain = sampleImages(model, tok, full, unc, rngs(), opts);
  // s_I (u - z) with z = u adds nothing: identical codes.
  assert.deepEqual(sampleImages(model, tok, full, unc, rngs(), { ...opts, imageGuidance: 3 }, unc), plain);
  // A real bare prompt (no image, no text) changes what is drawn.
  assert.notDeepEqual(sampleImages(model, tok, full, unc, rngs(), { ...opts, imageGuidance: 3 }, bare), plain);
  assert.throws(
    () => sampleImages(model, tok, full, unc, rngs(), { ...opts, imageGuidance: 2 }),
    /needs the unconditional and the bare/,
  );
});

test('pickToken: greedy, top-k and top-p keep only the tokens they should', () => {
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  const all = () => true;
  assert.equal(pickToken(logits, all, { temperature: 0 }), 0);
  const seen = (o: object) => {
    const rng = new Rng(3);
    const got = new Set<number>();
    for (let i = 0; i < 400; i++) got.add(pickToken(logits, all, { temperature: 1, rng, ...o }));
    return [...got].sort();
  };
  assert.deepEqual(seen({}), [0, 1, 2, 3]);
  assert.deepEqual(seen({ topK: 2 }), [0, 1]);
  assert.deepEqual(seen({ topP: 0.79 }), [0, 1], '0.5 + 0.3 reaches 0.79');
  assert.deepEqual(seen({ topP: 0.81 }), [0, 1, 2]);
  assert.deepEqual(seen({ topP: 0.45 }), [0]);
  assert.throws(() => pickToken(logits, all, { temperature: 1, rng: new Rng(1), topP: 0 }), /topP must be in/);
});
