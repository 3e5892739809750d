// Sessions: turns with text, image or both; undo and branches as a tree; the JSON form restores the same
// session (and a damaged one is refused naming the field); unknown sessions and turns are clear errors;
// the context always fits the block and keeps the picture being edited; sampling streams progress.
// Decomposition: plans parse, and executing a plan makes one edit turn per step.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWorldItem } from '../../src/data/index.js';
import type { Progress } from '../../src/infer/index.js';
import {
  contextPrompts,
  copyTokens,
  DEFAULT_HISTORY,
  type Engine,
  executePlan,
  parsePlan,
  Session,
  SessionStore,
  UnknownSessionError,
} from '../../src/infer/index.js';
import { defaultModelDir, MultimodalModel, modelConfig, specialIds } from '../../src/model/index.js';
import { tokenizerFromJsonText } from '../../src/tokenizers/text/format.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();
const engine: Engine = {
  tok,
  model: new MultimodalModel(
    modelConfig(
      { textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize, blockSize: 384 },
      'tiny',
    ),
    tok.image,
  ),
};
const picture = makeWorldItem('edit', 'train', 3, 0).segments[0].image!.pixels;

test('turns, undo and branches form a tree; the head decides what the next turn follows', () => {
  const s = new Session('test-1', 7);
  const a = s.addTurn(engine, { text: 'draw a red circle at the center' }, { mode: 'image' });
  assert.equal(a.output.length, 1);
  assert.equal(a.output[0].kind, 'image');
  const b = s.addTurn(engine, { text: 'make it blue' }, { mode: 'image' });
  assert.equal(b.parent, a.id);
  const c = s.addTurn(engine, { image: picture, text: 'what color is the circle?' }, { mode: 'text' });
  assert.ok(
    c.output.every((o) => o.kind === 'text'),
    'text mode never draws',
  );
  assert.deepEqual(
    s.path().map((t) => t.id),
    [a.id, b.id, c.id],
  );
  assert.equal(s.undo(), b.id);
  const c2 = s.addTurn(engine, { text: 'make it green' }, { mode: 'image' });
  assert.equal(c2.parent, b.id, 'after undo the new turn replaces the undone one');
  s.branch(a.id);
  const b2 = s.addTurn(engine, { text: 'make it yellow' }, { mode: 'image' });
  assert.deepEqual(
    s.path().map((t) => t.id),
    [a.id, b2.id],
  );
  assert.equal(s.allTurns.length, 5, 'undone and branched-from turns stay in the history');
  assert.throws(() => s.branch(99), /has no turn 99/);
  s.branch(null);
  assert.throws(() => s.undo(), /nothing to undo/);
  assert.throws(() => s.addTurn(engine, { text: '   ' }), /needs text, an image, or both/);
  assert.throws(
    () => s.addTurn(engine, { image: { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) } }),
    /32x32, the model works on 64x64/,
  );
});

test('a session round-trips through JSON and a damaged one is refused naming the field', () => {
  const s = new Session('test-2', 3);
  s.addTurn(engine, { image: picture, text: 'make the circle blue' }, { mode: 'image' });
  s.addTurn(engine, { text: 'what is at the center?' }, { mode: 'text' });
  s.undo();
  const json = JSON.parse(JSON.stringify(s.toJSON()));
  const r = Session.fromJSON(json);
  assert.equal(r.head, s.head);
  assert.deepEqual(r.toJSON(), s.toJSON());
  // The restored session continues exactly as the original would (same seed, same next turn id).
  const next = (x: Session) => x.addTurn(engine, { text: 'make it red' }, { mode: 'image', temperature: 0.8 });
  assert.deepEqual(next(r), next(s));
  assert.throws(() => Session.fromJSON({ ...json, format: 'other' }), /format is "other"/);
  assert.throws(() => Session.fromJSON({ ...json, head: 42 }), /head 42 is not a turn/);
  const badImage = structuredClone(json);
  badImage.turns[0].input.image = 'bm90IGEgcG5n';
  assert.throws(() => Session.fromJSON(badImage), /turns\[0\]\.input\.image: image is not a readable PNG/);
  const orphan = structuredClone(json);
  orphan.turns[1].parent = 9;
  assert.throws(() => Session.fromJSON(orphan), /turns\[1\]\.parent 9 is not an earlier turn/);
});

test('a store finds sessions by id, on disk too, and an unknown id is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-sessions-'));
  try {
    const store = new SessionStore(dir);
    const s = store.create(1);
    s.addTurn(engine, { image: picture, text: 'describe the image.' }, { mode: 'text' });
    store.save(s);
    const again = new SessionStore(dir).get(s.id);
    assert.deepEqual(again.toJSON(), s.toJSON());
    assert.throws(() => store.get('no-such-session'), UnknownSessionError);
    assert.throws(() => store.get('../etc/passwd'), /unknown session/);
    assert.equal(store.has('../etc/passwd'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a long dialogue keeps within the block and keeps the picture it edits', () => {
  const s = new Session('test-3');
  for (let i = 0; i < 8; i++)
    s.record({ text: `make the circle color number ${i} please` }, [{ kind: 'image', image: picture }]);
  const { cond, uncond } = contextPrompts(engine, s.path(), { text: 'make it red' }, 'image');
  const sp = specialIds(tok);
  assert.ok(cond.ids.length + 64 <= engine.model.config.blockSize);
  assert.equal(cond.ids[1], sp.image, 'the first kept turn opens with the carried image');
  assert.deepEqual([...cond.ids.slice(-2)], [sp.model, sp.image]);
  assert.ok(uncond!.ids.length < cond.ids.length, 'the unconditional prompt drops the user text');
  assert.throws(
    () => contextPrompts(engine, [], { text: 'very long '.repeat(400) }, 'image'),
    /does not fit the model's context/,
  );
});

test('sampling streams progress: one event per image code', () => {
  const events: Progress[] = [];
  new Session('test-4').addTurn(
    engine,
    { text: 'draw a blue square' },
    { mode: 'image', onProgress: (p) => events.push(p) },
  );
  const image = events.filter((e) => e.kind === 'image');
  assert.equal(image.length, 64);
  assert.deepEqual(image[63], { kind: 'image', done: 64, total: 64 });
});

test('plans parse from numbered lines, and executing one makes an edit turn per step', () => {
  assert.deepEqual(parsePlan('1. make the circle red\n2. move it to the center\n'), [
    'make the circle red',
    'move it to the center',
  ]);
  assert.deepEqual(parsePlan('2. out of order\n1. x'), []);
  assert.deepEqual(parsePlan('1. a\nsomething else\n2. b'), ['a']);
  const steps = ['make the circle red', 'move the circle to the center'];
  const run = executePlan(engine, picture, steps, { onStep: () => {} });
  assert.equal(run.turns.length, 2);
  assert.ok(run.turns[0].input.image, 'the first step carries the picture');
  assert.equal(run.turns[1].input.image, undefined, 'later steps edit the last image');
  assert.equal(run.turns[1].parent, run.turns[0].id);
  assert.ok(run.turns.every((t) => t.output.some((o) => o.kind === 'image')));
});

test("copyTokens: every plan of a compound instruction is written in its instruction's tokens; other words are not", () => {
  const shipped = tokenizerFromJsonText(readFileSync(join(defaultModelDir(), 'tokenizer.json'), 'utf8'));
  for (const t of [tok.text, shipped])
    for (const split of ['train', 'heldout'] as const)
      for (let i = 0; i < 300; i++) {
        const item = makeWorldItem('plan', split, 11, i);
        const [ask, plan] = item.segments;
        const allowed = copyTokens(t, ask.text!);
        const outside = t.encode(plan.text!).filter((id) => !allowed.has(id));
        assert.deepEqual(outside, [], `${item.id}: "${plan.text}" has tokens outside "${ask.text}"`);
      }
  const allowed = copyTokens(shipped, 'make the large blue square yellow, then move it to the center.');
  for (const word of [' small', ' red', ' circle'])
    for (const id of shipped.encode(word)) assert.ok(!allowed.has(id), `"${word}" is not in the instruction`);
});

test('textTokens: a turn writes only the allowed text tokens (and may still end or open an image)', () => {
  const allowed = copyTokens(tok.text, 'make the circle red, then move it to the center.');
  const sp = specialIds(tok);
  let written = 0;
  for (let seed = 1; seed <= 3; seed++) {
    const t = new Session(`copy-${seed}`, seed).addTurn(
      engine,
      { image: picture, text: 'make the circle red, then move it to the center.' },
      { mode: 'text', temperature: 1, textTokens: allowed },
    );
    const text = t.output.map((o) => (o.kind === 'text' ? o.text : '')).join('');
    written += text.length;
    // The reply is text, so its ids are gone; what it wrote must split into the allowed tokens' pieces.
    const pieces = [...allowed].map((id) => tok.text.decode([id]));
    assert.ok(coveredBy(text, pieces), `"${text}" is made of the instruction's tokens`);
  }
  assert.ok(written > 20, 'the untrained model wrote something to check');
  // The check can fail: the same turn without the set writes tokens of other words.
  const free = new Session('copy-1', 1).addTurn(
    engine,
    { image: picture, text: 'make the circle red, then move it to the center.' },
    { mode: 'text', temperature: 1 },
  );
  const freeText = free.output.map((o) => (o.kind === 'text' ? o.text : '')).join('');
  assert.ok(
    !coveredBy(
      freeText,
      [...allowed].map((id) => tok.text.decode([id])),
    ),
    freeText,
  );
  assert.ok(!allowed.has(sp.image) && !allowed.has(sp.end), 'the specials are allowed by the sampler, not the set');
});

/** Whether `text` is a concatenation of `pieces` (dynamic programming over its prefixes). */
function coveredBy(text: string, pieces: string[]): boolean {
  const ok = [true, ...Array(text.length).fill(false)];
  for (let i = 0; i < text.length; i++)
    if (ok[i]) for (const p of pieces) if (p && text.startsWith(p, i)) ok[i + p.length] = true;
  return ok[text.length];
}

test("history 'last-image': the turn sees the session's latest image and its own input, not the turns before", () => {
  const s = new Session('hist', 1);
  s.addTurn(engine, { image: picture, text: 'make the circle blue' }, { mode: 'image' });
  const path = s.path();
  const input = { text: 'move the circle to the center' };
  const sp = specialIds(tok);
  const opens = (ids: Int32Array) => [...ids].filter((id) => id === sp.image).length;
  const full = contextPrompts(engine, path, input, 'image', false).cond.ids;
  const last = contextPrompts(engine, path, input, 'image', false, false, true).cond.ids;
  // the dialogue: the picture, the first instruction, its drawing, the new instruction, the opened image
  assert.equal(opens(full), 3);
  assert.equal(opens(last), 2, 'the drawing and the opened image');
  const text = (ids: Int32Array) => tok.text.decode([...ids].filter((id) => id < sp.imageBase && id !== sp.image));
  assert.ok(text(full).includes('make the circle blue'));
  assert.ok(!text(last).includes('make the circle blue'), text(last));
  assert.ok(text(last).includes('move the circle to the center'));
  // the image it carries is the first turn's drawing, as its codes
  const drawn = (path[0].output.find((o) => o.kind === 'image') as { codes: Int32Array }).codes;
  const at = last.indexOf(sp.image) + 1;
  assert.deepEqual(
    [...last.subarray(at, at + drawn.length)],
    [...drawn].map((c) => c + sp.imageBase),
  );
  const t = s.addTurn(engine, input, { mode: 'image' });
  assert.ok(
    t.output.some((o) => o.kind === 'image'),
    'the default (DEFAULT_HISTORY) draws',
  );
  assert.equal(DEFAULT_HISTORY, 'last-image');
});

test('later turns reuse the KV cache (only new tokens are fed) and draw what a fresh prefill draws', () => {
  // the whole dialogue as context, so that a later turn's prompt extends the earlier one
  const DIALOGUE = { mode: 'image', history: 'dialogue' } as const;
  const s = new Session('test-5', 2);
  s.addTurn(engine, { image: picture, text: 'make the circle blue' }, DIALOGUE);
  const afterFirst = Session.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
  const second = s.addTurn(engine, { text: 'move the circle to the center' }, DIALOGUE);
  const { reused, fed } = s.cacheStats;
  assert.ok(reused > 64, `the first turn's image and prompt come from the cache (reused ${reused})`);
  assert.ok(fed < 20, `only the new instruction is fed (fed ${fed})`);
  // A restored session has no cache: it prefills everything, and must draw the same codes.
  const fresh = afterFirst.addTurn(engine, { text: 'move the circle to the center' }, DIALOGUE);
  assert.equal(afterFirst.cacheStats.reused, 0);
  const codes = (t: typeof second) => [...(t.output[0] as { codes: Int32Array }).codes];
  assert.deepEqual(codes(second), codes(fresh));
  // After undo, the cache is cut back to where the paths part.
  s.undo();
  const again = s.addTurn(engine, { text: 'move the circle to the center' }, DIALOGUE);
  assert.deepEqual(codes(again), codes(second));
  assert.ok(s.cacheStats.reused > 64);
  // Another model never reuses this model's cache.
  const other: Engine = {
    tok,
    model: new MultimodalModel(
      modelConfig(
        { textVocabSize: tok.text.vocabSize, imageCodebookSize: tok.image.codebookSize, blockSize: 384, seed: 9 },
        'tiny',
      ),
      tok.image,
    ),
  };
  s.addTurn(other, { text: 'make it red' }, DIALOGUE);
  assert.equal(s.cacheStats.reused, 0);
});

test('sessions take image guidance through the one guidance function; with no image in the context it changes nothing', () => {
  const a = new Session('ig-a', 4);
  const b = new Session('ig-b', 4);
  const opts = { mode: 'image' as const, temperature: 0.8, guidance: 2 };
  // same seed, no image anywhere: the bare prompt equals the unconditional one, so the image term is 0
  const ta = a.addTurn(engine, { text: 'draw a small red square at the center' }, opts);
  const tb = new Session('ig-a', 4).addTurn(
    engine,
    { text: 'draw a small red square at the center' },
    { ...opts, imageGuidance: 3 },
  );
  assert.deepEqual(tb.output, ta.output);
  // with the picture in the context, image guidance runs its third branch and draws a whole image
  const t = b.addTurn(engine, { image: picture, text: 'make the circle blue' }, { ...opts, imageGuidance: 2 });
  const img = t.output.find((o) => o.kind === 'image');
  assert.ok(img && img.kind === 'image' && img.codes?.length === 64);
});
