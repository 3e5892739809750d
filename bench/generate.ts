// `npm run bench:generate`: with the shipped model, in one run: the latency of 4 variants of one prompt at
// the default guidance with the KV cache (the real sampler) and without it (the whole sequence recomputed for every
// code, the same guidance and picks), the speed-up, the latency of one edit, and of each turn of a 5-turn
// edit session (the context grows with every turn, then slides). Median of --runs runs.
import { makeWorldItem, userText } from '../src/data/index.js';
import {
  DEFAULT_GUIDANCE,
  editImage,
  generateImages,
  guide,
  imagePrompt,
  pickToken,
  Session,
} from '../src/infer/index.js';
import type { MultimodalModel } from '../src/model/index.js';
import { defaultModelDir, loadModel, specialIds, type Tokenizers } from '../src/model/index.js';
import { kernels, noGrad, Rng, tidy } from '../src/tensor/index.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => void, runs: number): number {
  f(); // warm-up
  return median(
    Array.from({ length: runs }, () => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    }),
  );
}

/** n variants, recomputing every prefix (batched like the sampler): the cost the KV cache saves. With
 *  guidance, the unconditional prompt is a second group, as in the sampler. */
function variantsWithoutCache(model: MultimodalModel, tok: Tokenizers, prompt: string, n: number, g: number): void {
  const sp = specialIds(tok);
  const open = (drop: boolean) => [...imagePrompt([userText(prompt)], tok, drop).ids];
  const groups = (g === 1 ? [open(false)] : [open(false), open(true)]).map((prefix) => ({
    prefix,
    rows: Array.from({ length: n }, () => [] as number[]),
  }));
  const rngs = Array.from({ length: n }, (_, i) => new Rng(i));
  const V = model.vocabSize;
  const guided = new Float32Array(V);
  for (let p = 0; p < 64; p++) {
    noGrad(() =>
      tidy(() => {
        const last = groups.map(({ prefix, rows }) => {
          const T = prefix.length + p;
          const ids = Int32Array.from(rows.flatMap((r) => [...prefix, ...r]));
          const pos = Int32Array.from(
            rows.flatMap(() => [...prefix.map(() => -1), ...Array.from({ length: p }, (_, k) => k)]),
          );
          const logits = model.forward(ids, pos, n, T).data; // (n, T, V)
          return (b: number) => logits.subarray(((b + 1) * T - 1) * V, (b + 1) * T * V);
        });
        for (let b = 0; b < n; b++) {
          const logits = g === 1 ? last[0](b) : guide(last[0](b), last[1](b), g, guided);
          const id = pickToken(logits, (i) => i >= sp.imageBase, {
            temperature: 0.7,
            rng: rngs[b],
          });
          for (const g of groups) g.rows[b].push(id);
        }
      }),
    );
  }
}

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be an integer >= 1, got ${process.argv[at + 1]}`);
const { model, tok } = loadModel(defaultModelDir());
const info = kernels().info();
console.log(
  `model: ${defaultModelDir()} (${model.params.count()} parameters), backend ${info.backend}, ${info.threads} threads`,
);
const t2i = makeWorldItem('t2i', 'train', 1, 0);
const prompt = t2i.segments[0].text!;
const g = DEFAULT_GUIDANCE;
const cached = time(() => generateImages(model, tok, prompt, { n: 4, seed: 1, guidance: g }), runs);
const uncached = time(() => variantsWithoutCache(model, tok, prompt, 4, g), Math.max(1, Math.floor(runs / 2)));
const guided = time(() => generateImages(model, tok, prompt, { n: 4, seed: 1, guidance: 3 }), runs);
const edit = makeWorldItem('edit', 'train', 1, 0);
const editMs = time(
  () => editImage(model, tok, edit.segments[0].image!.pixels, edit.segments[1].text!, { seed: 1 }),
  runs,
);
console.log(`4 variants, guidance ${g}, KV cache:      ${cached.toFixed(0)} ms`);
console.log(`4 variants, guidance ${g}, no KV cache:   ${uncached.toFixed(0)} ms`);
console.log(`4 variants, guidance 3 (two branches), KV cache: ${guided.toFixed(0)} ms`);
console.log(`one edit (input image + instruction): ${editMs.toFixed(0)} ms`);
console.log(`KV cache speed-up: ${(uncached / cached).toFixed(2)}x`);

const chain = makeWorldItem('chain', 'train', 1, 0);
const instructions = chain.segments.filter((x) => x.role === 'user' && x.kind === 'text').map((x) => x.text!);
while (instructions.length < 5) instructions.push(instructions[instructions.length - 1]);
for (const history of ['last-image', 'dialogue'] as const) {
  const turnMs: number[][] = Array.from({ length: 5 }, () => []);
  time(() => {
    const session = new Session('bench');
    instructions.slice(0, 5).forEach((text, k) => {
      const t0 = performance.now();
      session.addTurn({ model, tok }, k === 0 ? { image: chain.segments[0].image!.pixels, text } : { text }, {
        mode: 'image',
        history,
      });
      turnMs[k].push(performance.now() - t0);
    });
  }, runs);
  console.log(
    `5-turn edit session (history ${history}), ms per turn:  ${turnMs.map((l) => median(l.slice(1)).toFixed(0)).join(' / ')}`,
  );
}
