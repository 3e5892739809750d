// `npm run bench:prompts`: the shipped model drawing each paraphrase of test/fixtures/prompt-paraphrases.ts
// as written (raw) and rewritten by the prompt reader into the trained phrasing (canonicalized), one
// variant each; item i uses seed SEED + i for both, so the two rows are paired. Each image is judged by the
// verifier against the canonical scene: the all-constraints rate (every object, the character, the sign and
// the background right) with a 95% Wilson interval.
import { parsePrompt, promptForModel, verifyImage } from '../src/data/index.js';
import { wilson } from '../src/eval/index.js';
import { DEFAULT_GUIDANCE, generateImages } from '../src/infer/index.js';
import { defaultModelDir, loadModel } from '../src/model/index.js';
import { PARAPHRASES } from '../test/fixtures/prompt-paraphrases.js';

const SEED = 13;

function main(): void {
  const modelDir = process.argv[2] ?? defaultModelDir();
  const { model, tok } = loadModel(modelDir);
  const items = PARAPHRASES.flatMap((g) =>
    g.paraphrases.map((text) => ({ text, scene: parsePrompt(g.canonical).scene! })),
  );
  const ok = { raw: 0, canonicalized: 0 };
  let rewritten = 0;
  const t0 = performance.now();
  items.forEach((it, i) => {
    const o = { n: 1, seed: SEED + i, guidance: DEFAULT_GUIDANCE, temperature: 0.7 };
    const sent = promptForModel(it.text);
    if (sent.canonicalized) rewritten++;
    const [raw] = generateImages(model, tok, it.text, o);
    const [canon] = generateImages(model, tok, sent.text, o);
    ok.raw += verifyImage(it.scene, raw).ok ? 1 : 0;
    ok.canonicalized += verifyImage(it.scene, canon).ok ? 1 : 0;
  });
  const n = items.length;
  console.log(
    `model ${modelDir}; ${n} paraphrases of ${PARAPHRASES.length} scenes, 1 variant each, seeds ${SEED}..${SEED + n - 1}`,
  );
  console.log(`prompt reader rewrote ${rewritten}/${n}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log('| prompt sent | n | all constraints | 95% Wilson |');
  console.log('|---|---|---|---|');
  for (const [row, k] of Object.entries(ok)) {
    const [lo, hi] = wilson(k, n)!;
    console.log(
      `| ${row} | ${n} | ${k}/${n} = ${((100 * k) / n).toFixed(1)}% | ${(100 * lo).toFixed(1)}-${(100 * hi).toFixed(1)}% |`,
    );
  }
}

main();
