// The `ask` task's phrasings (src/data/world/questions.ts): answers right on a scene built by hand, every
// phrasing drawn, items valid and a pure function of their index, and none of its questions, nor any of
// sampleQuestion's, is a form bench:questions keeps out of training.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allRephrased,
  makeWorldItem,
  type Scene,
  sampleQuestion,
  sampleRephrased,
  sampleScene,
  UNTRAINED_FORMS,
  validateItem,
} from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';

const SCENE: Scene = {
  background: 'gray',
  objects: [
    { shape: 'circle', color: 'red', size: 'large', cell: 0 },
    { shape: 'square', color: 'blue', size: 'small', cell: 4 },
    { shape: 'triangle', color: 'red', size: 'small', cell: 8 },
  ],
  sign: 'GO',
  character: null,
};

test('every phrasing answers what the scene shows', () => {
  const got = new Map(allRephrased(SCENE, SCENE.objects[0]).map((x) => [x.q, x.a]));
  assert.equal(got.size, 17, 'no two phrasings ask the same words');
  const want: [string, string][] = [
    ['which color is the background?', 'gray'],
    ['what is the background color?', 'gray'],
    ['count the shapes.', '3'],
    ['how many shapes do you see?', '3'],
    ['how many things are in the picture?', '3'],
    ['which color is the large circle at the top left?', 'red'],
    ['the large circle at the top left is what color?', 'red'],
    ['which shape is at the top left?', 'circle'],
    ['name the shape at the top left.', 'circle'],
    ['what is the size of the red circle at the top left?', 'large'],
    ['is the red circle at the top left large or small?', 'large'],
    ['count the red shapes.', '2'],
    ['how many shapes are red?', '2'],
    ['does the picture have a sign?', 'yes'],
    ['is there a sign in the picture?', 'yes'],
    ['read the sign.', 'go'],
    ['what word is on the sign?', 'go'],
  ];
  assert.deepEqual([...got.entries()].sort(), want.sort());
  // without a sign or objects: the sign is absent, nothing about an object is asked, and the count is 0
  const bare = allRephrased({ ...SCENE, objects: [], sign: null }, null);
  assert.deepEqual(
    bare.map((x) => `${x.q} ${x.a}`),
    [
      'which color is the background? gray',
      'what is the background color? gray',
      'count the shapes. 0',
      'how many shapes do you see? 0',
      'how many things are in the picture? 0',
      'does the picture have a sign? no',
      'is there a sign in the picture? no',
    ],
  );
});

test('the bench forms stay out of training: no ask phrasing or sampleQuestion template is one of them', () => {
  const rng = new Rng(5);
  const trained = new Set<string>();
  const bench = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const s = sampleScene(rng, i % 2 ? 'train' : 'heldout');
    const o = s.objects.length > 0 ? rng.pick(s.objects) : null;
    for (const x of allRephrased(s, o)) trained.add(x.q);
    trained.add(sampleQuestion(rng, s).q);
    trained.add(sampleRephrased(rng, s).q);
    for (const f of UNTRAINED_FORMS) {
      const x = f.ask(s, o);
      if (x) bench.add(x.q);
    }
  }
  assert.ok(bench.size > 100 && trained.size > 500, `${bench.size} bench, ${trained.size} trained questions`);
  const both = [...bench].filter((q) => trained.has(q));
  assert.deepEqual(both, [], 'bench questions that training asks');
});

test('ask items: valid, a pure function of their index, answered right, and every phrasing is drawn', () => {
  const forms = new Set<number>();
  for (let i = 0; i < 600; i++) {
    const it = makeWorldItem('ask', 'train', 3, i);
    assert.deepEqual(validateItem(it), []);
    assert.deepEqual(makeWorldItem('ask', 'train', 3, i), it);
    const s = it.segments[0].image!.scene!;
    const [q, a] = [it.segments[1].text, it.segments[2].text];
    // the phrasing that asked it, about one of the scene's objects (or about none)
    const match = [null, ...s.objects].flatMap((o) => allRephrased(s, o)).find((x) => x.q === q);
    assert.ok(match, `${q} is one of the phrasings`);
    assert.equal(a, match.a, q);
    forms.add(match.form);
  }
  assert.equal(forms.size, allRephrased(SCENE, SCENE.objects[0]).length, 'every phrasing was drawn');
});
