// node scripts/reading-confirm.mjs (after npm run build, from the repository root): docs/model.md, "The model reads its own outputs back".
// A fresh held-out sample (seed 5000; the candidates' settings were chosen on seed 1000's items): greedy vs
// 16 candidates ranked by the model's own reading (captions refined, signs read both ways), the same items.
import * as T from '../dist/src/index.js';

const { model, tok } = T.loadModel('models/tessera-default');
const items = T.evaluationItems(['t2i', 'caption', 'vqa', 'ocr'], 300, 5000, 'heldout');
const keys = [
  't2i_acc',
  't2i_object_acc',
  't2i_heldout_pair_object_acc',
  'caption_acc',
  'caption_heldout_pair_object_acc',
  'caption_shape_acc',
  'caption_word_acc',
  'vqa_acc',
  'ocr_acc',
  'ocr_heldout_word_acc',
  'understanding_acc',
];
const runs = {};
for (const c of [1, 16]) {
  const per = {};
  const r = T.evaluate(model, tok, items, {
    candidates: c,
    keepBias: T.DEFAULT_KEEP_BIAS,
    onJudgement: (id, k, v) => {
      per[k] = [...(per[k] ?? []), v];
    },
  });
  runs[c] = per;
  for (const k of keys)
    console.log(
      `candidates ${c}`,
      k.padEnd(34),
      r.metrics[k]?.toFixed(3),
      r.intervals[k]?.map((x) => x.toFixed(3)).join(' '),
      r.counts[k],
    );
}
// understanding pools captions, questions and sign reading (summarise does the same)
const pooled = (per) => ['caption_acc', 'vqa_acc', 'ocr_acc'].flatMap((k) => per[k] ?? []);
for (const k of keys) {
  const a = k === 'understanding_acc' ? pooled(runs[16]) : runs[16][k],
    b = k === 'understanding_acc' ? pooled(runs[1]) : runs[1][k];
  const d = a.map((x, i) => x - b[i]);
  const m = d.reduce((s, x) => s + x, 0) / d.length;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
  const h = (1.96 * sd) / Math.sqrt(d.length);
  console.log(
    'paired',
    k.padEnd(34),
    `${m >= 0 ? '+' : ''}${m.toFixed(3)} [${(m - h).toFixed(3)}, ${(m + h).toFixed(3)}]`,
    d.length,
  );
}
