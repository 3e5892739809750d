// `npm run bench:two-code`: does an image tokenization with two codes a patch, one for the patch's shape
// and one for its colours, let a transformer draw held-out colour-shape pairs? A controlled probe of the
// design change weighed in docs/model.md ("Why held-out colour-shape pairs are not drawn"), before
// anyone rebuilds every sequence for it: two arms with the same transformer, the same text tokenizer,
// the same stream of training scenes (text-to-image only, the train split) and the same minutes.
//
// - arm `vq`: the shipped VQ-VAE's codes, one a patch (64 an image). Every patch of a held-out pair is a
//   code no training scene has.
// - arm `two`: the same codes, each written as two: its shape (the foreground mask of its tile, or the
//   code itself when the tile is not two palette colours: code-factors.ts) and its colour pair
//   (foreground, background), 128 an image (TwoCodeTokenizer, src/model/two-code.ts). A held-out pair's
//   patch is then a trained shape code followed by a trained colour code. Decoded through the codebook:
//   the code with that (mask, fg, bg), so both arms draw with the same tiles.
//
// Both arms: GPT (gpt.ts) of the default preset's size, a learned 2-D position a patch (and slot) added
// to image tokens, loss on the image and its end only, AdamW with a cosine rate, greedy decoding restricted
// to the codes valid at each slot. Judged as `tessera eval` judges text-to-image (the verifier's parse:
// right cell, colour, shape and size, well formed), on held-out scenes (objects of held-out pairs, other
// objects) and trained ones.
//
// With CAPTIONS = f > 0, that share of every batch is the caption task instead (the image, then its
// caption; loss on the caption), and held-out captions are judged too: exact, and held-out-pair objects
// named (size, colour, shape and cell: readObjects).
//
// Environment: MINUTES (per arm, default 12), ARMS (default "vq,two"), EVAL_N (held-out and trained
// scenes, default 150), SEED (default 1), CAPTIONS (default 0).
import { join } from 'node:path';
import {
  caption,
  describePrompt,
  isHeldoutPair,
  parseImageFits,
  renderScene,
  type Scene,
  sampleScene,
} from '../src/data/index.js';
import { readObjects } from '../src/eval/attributes.js';
import { objectDrawn, wilson } from '../src/eval/index.js';
import { defaultModelDir, GPT, GPT_PRESETS, TwoCodeTokenizer } from '../src/model/index.js';
import {
  AdamW,
  clipGradNorm,
  cosineLr,
  crossEntropy,
  embedding,
  noGrad,
  Rng,
  type Tensor,
  tidy,
} from '../src/tensor/index.js';
import { defaultImageTokenizerDir, loadTokenizer, Vqvae } from '../src/tokenizers/index.js';

const MINUTES = Number(process.env.MINUTES ?? 12);
const ARMS = (process.env.ARMS ?? 'vq,two').split(',') as ('vq' | 'two')[];
const EVAL_N = Number(process.env.EVAL_N ?? 150);
const SEED = Number(process.env.SEED ?? 1);
const CAPTIONS = Number(process.env.CAPTIONS ?? 0);
const B = 8;
const G2 = 64;

const vq = Vqvae.load(defaultImageTokenizerDir());
const text = loadTokenizer(join(defaultModelDir(), 'tokenizer.json'));
const K = vq.codebookSize;
const P = vq.imageSize / vq.grid;
const two = new TwoCodeTokenizer(vq);
const tiles = two.tiles;

interface Arm {
  name: 'vq' | 'two';
  /** image tokens a patch */
  slots: number;
  /** image vocabulary (ids after the text ids) */
  vocab: number;
  /** image tokens of an image's 64 codes */
  encode(codes: Int32Array): Int32Array;
  /** an image's 64 codes from its image tokens; fallbacks: patches whose (shape, colours) no code has */
  decode(tokens: Int32Array): { codes: Int32Array; fallbacks: number };
  /** the image ids valid at slot s: [lo, hi) */
  valid(slot: number): [number, number];
}

const ARM_DEFS: Record<'vq' | 'two', Arm> = {
  vq: {
    name: 'vq',
    slots: 1,
    vocab: K,
    encode: (codes) => codes,
    decode: (t) => ({ codes: t, fallbacks: 0 }),
    valid: () => [0, K],
  },
  two: {
    name: 'two',
    slots: 2,
    vocab: two.codebookSize,
    encode: (codes) => two.fromVqCodes(codes),
    decode: (t) => two.toVqCodes(t),
    valid: (slot) => two.slotRange(slot),
  },
};

/** An image pasted together from its codes' tiles (the same decoding for both arms). */
function paint(codes: Int32Array) {
  const S = vq.imageSize;
  const data = new Uint8Array(S * S * 3);
  for (let j = 0; j < G2; j++) {
    const y0 = Math.floor(j / vq.grid) * P;
    const x0 = (j % vq.grid) * P;
    for (let y = 0; y < P; y++)
      data.set(tiles.subarray((codes[j] * P + y) * P * 3, (codes[j] * P + y + 1) * P * 3), ((y0 + y) * S + x0) * 3);
  }
  return { width: S, height: S, data };
}

/** Tally of objects right: held-out pairs, other objects of held-out scenes, objects of trained scenes. */
function judge(want: Scene[], images: ReturnType<typeof paint>[]) {
  const t = { heldoutPair: [0, 0], other: [0, 0], pairColor: [0, 0], pairShape: [0, 0] };
  want.forEach((s, i) => {
    const got = parseImageFits(images[i]);
    for (const o of s.objects) {
      const pair = isHeldoutPair(o.color, o.shape);
      const r = pair ? t.heldoutPair : t.other;
      r[0] += objectDrawn(o, got.scene, got.fits) ? 1 : 0;
      r[1]++;
      if (!pair) continue;
      // what became of a held-out pair: its colour kept, its shape kept (an object in its cell at all)
      const a = got.scene.objects.find((x) => x.cell === o.cell);
      t.pairColor[0] += a?.color === o.color ? 1 : 0;
      t.pairShape[0] += a?.shape === o.shape ? 1 : 0;
      t.pairColor[1]++;
      t.pairShape[1]++;
    }
  });
  return t;
}

const V_TEXT = text.vocabSize;
function run(arm: Arm) {
  const IMG = V_TEXT + arm.vocab;
  const END = IMG + 1;
  const CAP = END + 1; // "describe the image": a caption item starts with it
  const STOP = CAP + 1; // a caption's end
  const T_IMG = G2 * arm.slots;
  const cfg = { ...GPT_PRESETS.reference, vocabSize: STOP + 1, blockSize: 96 + T_IMG + 3, nEmbd: 128, mlpHidden: 512 };
  const model = new GPT(cfg);
  model.params.add('pos2d', [1 + T_IMG, cfg.nEmbd], { kind: 'normal', std: 0.02 });
  const opt = new AdamW(model.params, { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.05 });
  const pos2dOf = (ids: Int32Array, Bn: number, T: number, start: Int32Array) => {
    const p = new Int32Array(Bn * T);
    for (let b = 0; b < Bn; b++)
      for (let t = 0; t < T; t++) {
        const j = t - start[b];
        p[b * T + t] = j >= 0 && j < T_IMG ? 1 + j : 0;
      }
    return embedding(model.params.get('pos2d'), p, [Bn, T]);
  };

  const rng = Rng.world(SEED).fork(17);
  const budget = MINUTES * 60_000;
  const t0 = performance.now();
  const estSteps = Math.round((budget / 1000) * (arm.slots === 1 ? 6 : 4)); // for the cosine only
  let step = 0;
  let items = 0;
  let lossAvg = 0;
  while (performance.now() - t0 < budget) {
    const scenes = Array.from({ length: B }, () => sampleScene(rng, 'train'));
    const codes = vq.encode(scenes.map((s) => renderScene(s).data));
    // the first CAPTIONS * B items of a batch are captions (loss on the caption), the rest drawings
    const nCap = Math.round(CAPTIONS * B);
    const seqs = scenes.map((s, i) => {
      const img = [IMG, ...Array.from(arm.encode(codes[i]), (c) => V_TEXT + c), END];
      if (i < nCap) return { ids: [CAP, ...img, ...text.encode(caption(s)).slice(0, 90), STOP], from: img.length };
      const prompt = text.encode(describePrompt(s)).slice(-62);
      return { ids: [...prompt, ...img], from: prompt.length };
    });
    const T = Math.max(...seqs.map((s) => s.ids.length)) - 1;
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T).fill(-1);
    const mask = new Float32Array(B * T);
    const start = new Int32Array(B);
    seqs.forEach(({ ids: s, from }, b) => {
      start[b] = s.indexOf(IMG) + 1;
      for (let t = 0; t < s.length - 1; t++) {
        ids[b * T + t] = s[t];
        mask[b * T + t] = 1;
        if (t >= from) targets[b * T + t] = s[t + 1];
      }
    });
    const lr = cosineLr(step, estSteps, 1e-3, 50);
    const loss = tidy(() => {
      model.params.zeroGrad();
      const l = crossEntropy(model.forward(ids, B, T, mask, pos2dOf(ids, B, T, start)), targets, { ignoreIndex: -1 });
      l.backward();
      clipGradNorm(model.params, 1);
      opt.update(lr);
      return l.item();
    });
    lossAvg = step === 0 ? loss : 0.98 * lossAvg + 0.02 * loss;
    step++;
    items += B;
    if (step % 200 === 0)
      console.error(
        `  ${arm.name}: step ${step}, ${((performance.now() - t0) / 60000).toFixed(1)} min, loss ${lossAvg.toFixed(3)}`,
      );
  }

  /** Greedy drawings of the prompts, restricted to each slot's codes. */
  const draw = (scenes: Scene[]) =>
    noGrad(() => {
      const out: ReturnType<typeof paint>[] = [];
      let fallbacks = 0;
      for (const s of scenes) {
        const prompt = [...text.encode(describePrompt(s)).slice(-62), IMG];
        const caches = model.newCache(1, cfg.blockSize);
        const toks = new Int32Array(T_IMG);
        let logits: Tensor = tidy(() =>
          model.forwardCached(
            Int32Array.from(prompt),
            1,
            prompt.length,
            caches,
            null,
            pos2dOf(new Int32Array(prompt.length), 1, prompt.length, Int32Array.of(prompt.length)),
          ),
        );
        for (let j = 0; j < T_IMG; j++) {
          const last = logits.data.subarray((logits.shape[1] - 1) * cfg.vocabSize, logits.shape[1] * cfg.vocabSize);
          const [lo, hi] = arm.valid(j % arm.slots);
          let best = lo;
          for (let c = lo; c < hi; c++) if (last[V_TEXT + c] > last[V_TEXT + best]) best = c;
          toks[j] = best;
          const p2 = Int32Array.of(1 + j);
          logits = tidy(() =>
            model.forwardCached(
              Int32Array.of(V_TEXT + best),
              1,
              1,
              caches,
              null,
              embedding(model.params.get('pos2d'), p2, [1, 1]),
            ),
          );
        }
        const d = arm.decode(toks);
        fallbacks += d.fallbacks;
        out.push(paint(d.codes));
      }
      return { images: out, fallbacks };
    });

  /** Greedy captions of the scenes' images (text tokens only, up to STOP). */
  const describe = (scenes: Scene[]) =>
    noGrad(() =>
      scenes.map((s) => {
        const [c] = vq.encode([renderScene(s).data]);
        const img = [CAP, IMG, ...Array.from(arm.encode(c), (x) => V_TEXT + x), END];
        const caches = model.newCache(1, cfg.blockSize);
        let logits: Tensor = tidy(() =>
          model.forwardCached(
            Int32Array.from(img),
            1,
            img.length,
            caches,
            null,
            pos2dOf(new Int32Array(img.length), 1, img.length, Int32Array.of(2)),
          ),
        );
        const out: number[] = [];
        while (out.length < 90) {
          const last = logits.data.subarray((logits.shape[1] - 1) * cfg.vocabSize, logits.shape[1] * cfg.vocabSize);
          let best = STOP;
          for (let x = 0; x < V_TEXT; x++) if (last[x] > last[best]) best = x;
          if (best === STOP) break;
          out.push(best);
          logits = tidy(() =>
            model.forwardCached(
              Int32Array.of(best),
              1,
              1,
              caches,
              null,
              embedding(model.params.get('pos2d'), Int32Array.of(0), [1, 1]),
            ),
          );
        }
        return text.decode(out);
      }),
    );
  /** Captions: exact, and held-out-pair objects named (size, colour, shape and cell). */
  const judgeCaptions = (scenes: Scene[]) => {
    const said = describe(scenes);
    const t = { exact: [0, scenes.length], pairNamed: [0, 0] };
    scenes.forEach((s, i) => {
      t.exact[0] += said[i] === caption(s) ? 1 : 0;
      const named = readObjects(said[i]);
      for (const o of s.objects.filter((x) => isHeldoutPair(x.color, x.shape))) {
        t.pairNamed[1]++;
        t.pairNamed[0] += named.some(
          (r) => r.color === o.color && r.shape === o.shape && r.size === o.size && r.cell === o.cell,
        )
          ? 1
          : 0;
      }
    });
    return t;
  };

  const evalRng = Rng.world(5000);
  const held = Array.from({ length: EVAL_N }, () => sampleScene(evalRng, 'heldout'));
  const trained = Array.from({ length: EVAL_N }, () => sampleScene(evalRng, 'train'));
  const h = draw(held);
  const tr = draw(trained);
  const jh = judge(held, h.images);
  const jt = judge(trained, tr.images);
  const ch = CAPTIONS > 0 ? judgeCaptions(held) : { exact: [0, 0], pairNamed: [0, 0] };
  // what the arm's tokens can express at all: the scenes' own codes, through the arm, painted
  const own = (ss: Scene[]) =>
    judge(
      ss,
      vq.encode(ss.map((s) => renderScene(s).data)).map((c) => paint(arm.decode(arm.encode(c)).codes)),
    );
  const ceiling = own(held);
  return {
    arm: arm.name,
    steps: step,
    items,
    minutes: (performance.now() - t0) / 60000,
    loss: lossAvg,
    heldoutPair: jh.heldoutPair,
    heldoutOther: jh.other,
    pairColor: jh.pairColor,
    pairShape: jh.pairShape,
    trained: [jt.heldoutPair[0] + jt.other[0], jt.heldoutPair[1] + jt.other[1]],
    fallbacks: h.fallbacks + tr.fallbacks,
    captionsExact: ch.exact,
    captionPairsNamed: ch.pairNamed,
    ceilingPair: ceiling.heldoutPair,
  };
}

const fmt = ([k, n]: number[]) => {
  if (n === 0) return '-';
  const [lo, hi] = wilson(k, n) ?? [0, 0];
  return `${(k / n).toFixed(3)} [${lo.toFixed(2)}, ${hi.toFixed(2)}] (${n})`;
};
console.log(
  `two-code probe: ${two.shapeCodes} shape codes, ${two.colorCodes} colour pairs from ${K} VQ codes; ${MINUTES} min an arm, seed ${SEED}`,
);
console.log(
  '| arm | steps | items | loss | held-out pairs | other objects (held-out scenes) | held-out pairs: colour right | shape right | trained scenes | fallback patches | captions exact (held-out) | held-out pairs named | tokens can express (held-out pairs) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const a of ARMS) {
  const r = run(ARM_DEFS[a]);
  console.log(
    `| ${r.arm} | ${r.steps} | ${r.items} | ${r.loss.toFixed(3)} | ${fmt(r.heldoutPair)} | ${fmt(r.heldoutOther)} | ${fmt(r.pairColor)} | ${fmt(r.pairShape)} | ${fmt(r.trained)} | ${r.fallbacks} | ${fmt(r.captionsExact)} | ${fmt(r.captionPairsNamed)} | ${fmt(r.ceilingPair)} |`,
  );
}
