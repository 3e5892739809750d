// `npm run bench:questions [MODEL_DIR]`: questions about held-out scenes in forms the training templates
// never use ("what color is the background?", "how many objects are there?", "what is written on the
// sign?", British "colour", ...), beside the trained template that asks the same thing where there is one,
// on the same scenes. Each answer is judged twice: exact (the normalised answer equals the expected one)
// and "names it" (the expected word occurs in the answer as a word: "a small red circle" names "circle").
// Greedy answers, one text-only turn each (answerText); 95% Wilson intervals.
import { CELL_NAMES, objectPhrase, renderScene, type Scene, type SceneObject, sampleScene } from '../src/data/index.js';
import { wilson } from '../src/eval/index.js';
import { answerText } from '../src/infer/index.js';
import { defaultModelDir, loadModel } from '../src/model/index.js';
import { Rng } from '../src/tensor/index.js';

const SCENES = Number(process.env.SCENES ?? 100);

interface Form {
  name: string;
  /** Question and expected answer for a scene, or null when the scene cannot be asked it. */
  ask: (s: Scene, o: SceneObject | null) => { q: string; a: string } | null;
  /** The trained template asking the same thing (null: there is none). */
  trained: ((s: Scene, o: SceneObject | null) => { q: string; a: string } | null) | null;
}

const count = (s: Scene, color?: string) => String(s.objects.filter((x) => !color || x.color === color).length);
const FORMS: Form[] = [
  {
    name: 'what color is the background?',
    ask: (s) => ({ q: 'what color is the background?', a: s.background }),
    trained: null,
  },
  {
    name: 'how many objects are there?',
    ask: (s) => ({ q: 'how many objects are there?', a: count(s) }),
    trained: (s) => ({ q: 'how many shapes are there?', a: count(s) }),
  },
  {
    name: 'what colour is the <size> <shape> at the <cell>?',
    ask: (_, o) => o && { q: `what colour is the ${o.size} ${o.shape} at the ${CELL_NAMES[o.cell]}?`, a: o.color },
    trained: (_, o) => o && { q: `what color is the ${o.size} ${o.shape} at the ${CELL_NAMES[o.cell]}?`, a: o.color },
  },
  {
    name: 'what shape is at the <cell>?',
    ask: (_, o) => o && { q: `what shape is at the ${CELL_NAMES[o.cell]}?`, a: o.shape },
    trained: (_, o) => o && { q: `what is at the ${CELL_NAMES[o.cell]}?`, a: `a ${objectPhrase(o)}` },
  },
  {
    name: 'is the <color> <shape> at the <cell> big or small?',
    ask: (_, o) => o && { q: `is the ${o.color} ${o.shape} at the ${CELL_NAMES[o.cell]} big or small?`, a: o.size },
    trained: null,
  },
  {
    name: 'how many <color> objects are there?',
    ask: (s, o) => o && { q: `how many ${o.color} objects are there?`, a: count(s, o.color) },
    trained: (s, o) => o && { q: `how many ${o.color} shapes are there?`, a: count(s, o.color) },
  },
  { name: 'is there a sign?', ask: (s) => ({ q: 'is there a sign?', a: s.sign ? 'yes' : 'no' }), trained: null },
  {
    name: 'what is written on the sign?',
    ask: (s) => (s.sign ? { q: 'what is written on the sign?', a: s.sign.toLowerCase() } : null),
    trained: (s) => (s.sign ? { q: 'what does the sign say?', a: s.sign.toLowerCase() } : null),
  },
];

const norm = (t: string) =>
  t
    .trim()
    .toLowerCase()
    .replace(/[.!?]+$/, '');
const namesIt = (answer: string, want: string) => new RegExp(`\\b${want}\\b`).test(norm(answer));

function main(): void {
  const modelDir = process.argv[2] ?? defaultModelDir();
  const engine = loadModel(modelDir);
  const rng = new Rng(2026);
  const scenes = Array.from({ length: SCENES }, () => sampleScene(rng, 'heldout'));
  const t0 = performance.now();
  const stats = FORMS.map(() => ({ n: 0, exact: 0, names: 0, tn: 0, texact: 0, tnames: 0 }));
  for (const s of scenes) {
    const image = renderScene(s);
    const o = s.objects.length > 0 ? s.objects[rng.between(0, s.objects.length - 1)] : null;
    FORMS.forEach((f, i) => {
      const st = stats[i];
      const x = f.ask(s, o);
      if (x) {
        const got = answerText(engine, image, x.q);
        st.n++;
        st.exact += norm(got) === x.a ? 1 : 0;
        st.names += namesIt(got, x.a) ? 1 : 0;
      }
      const t = f.trained?.(s, o);
      if (t) {
        const got = answerText(engine, image, t.q);
        st.tn++;
        st.texact += norm(got) === t.a ? 1 : 0;
        st.tnames += namesIt(got, t.a.split(' ').at(-1)!) ? 1 : 0;
      }
    });
  }
  const cell = (k: number, n: number) => {
    if (n === 0) return 'n/a';
    const [lo, hi] = wilson(k, n)!;
    return `${(k / n).toFixed(2)} [${lo.toFixed(2)}, ${hi.toFixed(2)}] (${n})`;
  };
  console.log(
    `model ${modelDir}; ${SCENES} held-out scenes; greedy; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(
    '| question form (not in training) | exact | names it | trained template, same scenes: exact | names it |',
  );
  console.log('|---|---|---|---|---|');
  FORMS.forEach((f, i) => {
    const st = stats[i];
    console.log(
      `| ${f.name} | ${cell(st.exact, st.n)} | ${cell(st.names, st.n)} | ${cell(st.texact, st.tn)} | ${cell(st.tnames, st.tn)} |`,
    );
  });
}

main();
