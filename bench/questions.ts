// `npm run bench:questions [MODEL_DIR]`: questions about held-out scenes in forms training never uses
// (UNTRAINED_FORMS in src/data/world/questions.ts: outside sampleQuestion's templates and the ask task's
// phrasings; "what color is the background?", "how many objects are there?", "what is written on the
// sign?", British "colour", ...), beside the trained template that asks the same thing where there is one,
// on the same scenes. Each answer is judged twice: exact (the normalised answer equals the expected one)
// and "names it" (the expected word occurs in the answer as a word: "a small red circle" names "circle").
// Greedy answers, one text-only turn each (answerText); 95% Wilson intervals.
import { renderScene, sampleScene, UNTRAINED_FORMS } from '../src/data/index.js';
import { wilson } from '../src/eval/index.js';
import { answerText } from '../src/infer/index.js';
import { defaultModelDir, loadModel } from '../src/model/index.js';
import { Rng } from '../src/tensor/index.js';

const SCENES = Number(process.env.SCENES ?? 100);

const FORMS = UNTRAINED_FORMS;

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
