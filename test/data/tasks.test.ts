// Tasks: every kind valid; edit targets differ only inside the edit region; chains and plans consistent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyEdit,
  type Check,
  compareScenes,
  FACTS,
  HELDOUT_WORDS,
  inRegion,
  MARKERS,
  makeWorldItems,
  parseImage,
  type Rect,
  type RgbImage,
  renderScene,
  renderSequence,
  sampleChain,
  sampleEdit,
  sampleQuestion,
  sampleScene,
  sceneSplit,
  validateItem,
  WORLD_TASKS,
} from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';

function changedOutside(a: RgbImage, b: RgbImage, regions: Rect[]): number {
  let n = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 3;
      if (
        !inRegion(regions, x, y) &&
        (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2])
      )
        n++;
    }
  return n;
}

test('every task kind produces valid items in both splits, with checks the verifier accepts', () => {
  for (const task of WORLD_TASKS)
    for (const split of ['train', 'heldout'] as const)
      for (const it of makeWorldItems(task, split, 1, 20)) {
        assert.deepEqual(validateItem(it), []);
        const text = renderSequence(it);
        assert.ok(text.startsWith(MARKERS.user) && text.endsWith(MARKERS.end), text);
        for (const s of it.segments) {
          const c = s.check as Check | undefined;
          if (s.kind === 'image' && c && (c.type === 'scene' || c.type === 'edit'))
            assert.ok(compareScenes(c.scene, parseImage(s.image!.pixels)).ok, it.id);
          if (s.kind === 'text' && c?.type === 'text') assert.equal(s.text, c.answer);
        }
      }
});

test('edit targets differ from their inputs only inside the edit region (every op, 400 edits)', () => {
  const rng = Rng.world(2);
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const s = sampleScene(rng);
    const [st] = sampleChain(rng, s, 'train', 1);
    seen.add(st.edit.op);
    const before = renderScene(s);
    const after = renderScene(st.after);
    assert.equal(changedOutside(before, after, st.regions), 0, `${st.instruction} ${JSON.stringify(s)}`);
    assert.ok(changedOutside(before, after, []) > 0, `edit '${st.instruction}' changed nothing`);
  }
  assert.equal(seen.size, 8, [...seen].join(','));
});

test('multi-turn chains: each turn edits the previous target, character identity kept throughout', () => {
  for (const it of makeWorldItems('chain', 'train', 3, 30)) {
    const models = it.segments.filter((s) => s.role === 'model');
    assert.ok(models.length >= 3 && models.length <= 6);
    let prev = it.segments[0].image!;
    for (const m of models) {
      const c = m.check as Extract<Check, { type: 'edit' }>;
      assert.equal(changedOutside(prev.pixels, m.image!.pixels, c.regions), 0, it.id);
      const a = prev.scene!.character;
      const b = m.image!.scene!.character;
      if (a && b) assert.deepEqual([a.face, a.eyes, a.body], [b.face, b.eyes, b.body]);
      prev = m.image!;
    }
  }
});

test('compound instructions: the plan applied step by step gives the compound target', () => {
  const rng = Rng.world(4);
  for (let i = 0; i < 100; i++) {
    const s = sampleScene(rng);
    const steps = sampleChain(rng, s, 'train', 3);
    let cur = s;
    for (const st of steps) cur = applyEdit(cur, st.edit);
    assert.deepEqual(cur, steps[2].after);
  }
  for (const it of makeWorldItems('compound', 'train', 5, 20)) {
    const plan = it.segments.find((s) => s.check?.type === 'plan')!;
    const steps = (plan.check as Extract<Check, { type: 'plan' }>).steps;
    assert.equal(plan.text, steps.map((st, i) => `${i + 1}. ${st}`).join('\n'));
    assert.equal(it.segments[1].text, `${steps.join(', then ')}.`);
  }
});

test('facts are text only; fact_t2i uses held-out things only in the held-out split', () => {
  for (const it of makeWorldItems('fact', 'train', 1, 20)) assert.ok(it.segments.every((s) => s.kind === 'text'));
  for (const split of ['train', 'heldout'] as const)
    for (const it of makeWorldItems('fact_t2i', split, 1, 20)) {
      const thing = FACTS.find((f) => it.segments[0].text!.includes(`color of a ${f.thing} `))!;
      assert.equal(thing.heldout, split === 'heldout');
      assert.equal(it.segments[1].image!.scene!.objects[0].color, thing.color);
    }
});

test('sampleEdit only gives edits that fit the scene', () => {
  const rng = Rng.world(9);
  for (let i = 0; i < 200; i++) {
    const s = sampleScene(rng);
    assert.doesNotThrow(() => applyEdit(s, sampleEdit(rng, s, 'train')));
  }
});

test('letters_ tasks: random letter strings in train (never a held-out word), held-out words in held-out; the verifier reads them', () => {
  const seen = new Set<string>();
  for (const task of ['letters_t2i', 'letters_ocr'] as const) {
    for (const it of makeWorldItems(task, 'train', 3, 150)) {
      const scene = it.segments.find((s) => s.image)!.image!.scene!;
      const w = scene.sign!;
      assert.match(w, /^[A-Z]{2,5}$/);
      assert.ok(!HELDOUT_WORDS.includes(w), `${w} is a held-out word`);
      assert.equal(sceneSplit(scene), 'train');
      assert.equal(parseImage(renderScene(scene)).sign, w, `the verifier reads ${w}`);
      if (task === 'letters_ocr') assert.equal(it.segments.at(-1)!.text, w.toLowerCase());
      seen.add(w);
    }
    for (const it of makeWorldItems(task, 'heldout', 3, 30)) {
      const scene = it.segments.find((s) => s.image)!.image!.scene!;
      assert.ok(HELDOUT_WORDS.includes(scene.sign!));
      assert.equal(sceneSplit(scene), 'heldout');
    }
  }
  // Letter strings, not a word list: almost all 300 differ, and every letter occurs.
  assert.ok(seen.size > 280, `${seen.size} distinct strings`);
  assert.equal(new Set([...seen].join('')).size, 26);
});

test('colour-count questions: about half ask a colour the scene has, so "0" is not the answer to learn', () => {
  const rng = new Rng(11);
  let asked = 0;
  let nonzero = 0;
  for (let i = 0; i < 4000; i++) {
    const s = sampleScene(rng, 'train');
    const { q, a } = sampleQuestion(rng, s);
    const m = /^how many (\w+) shapes are there\?$/.exec(q);
    if (!m) continue;
    asked++;
    assert.equal(a, String(s.objects.filter((o) => o.color === m[1]).length), q);
    if (a !== '0') nonzero++;
  }
  assert.ok(asked > 400, `${asked} colour-count questions`);
  assert.ok(nonzero / asked > 0.5 && nonzero / asked < 0.8, `${nonzero} of ${asked} have an answer other than 0`);
});
