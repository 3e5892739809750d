// Two checkpoints judged on the same items, metric by metric, with the paired difference and its 95%
// interval (`tessera compare A B`). The evaluation is `tessera eval`'s (evaluateHeldout); every judgement
// is kept with the item it judges, and a's and b's judgements of one item are paired when there are as many
// of them (the count of most judgements is fixed by the item: its objects, its untouched objects; a caption's
// attributes are judged per object it should name). Rates get Newcombe's paired interval
// (./interval.ts), means (pixels kept) the normal approximation of the mean of paired differences. Two
// models that fail on the same hard items differ more surely than their two separate intervals say, which
// is what deciding between two checkpoints of one run needs.
import type { MultimodalModel, Tokenizers } from '../model/index.js';
import { MEAN_METRICS, METRIC_KEYS, type MetricKey } from './evaluate.js';
import { pairedDifference, Z95 } from './interval.js';
import { evaluateHeldout, type HeldoutEvalOptions } from './report.js';

/** Every judgement of one evaluation: metric -> item id -> its judgements in order. */
export type Judgements = Map<MetricKey, Map<string, number[]>>;

/** What a second model's evaluation is measured against, for one metric. */
export interface ComparedMetric {
  key: MetricKey;
  /** Paired judgements (each item's, where a and b judged it as many times). */
  n: number;
  /** Judgements left unpaired (an item judged a different number of times by a and b): a's and b's. */
  unpairedA: number;
  unpairedB: number;
  /** Means of a's and b's paired judgements, their difference a - b, and its 95% interval. */
  a: number;
  b: number;
  diff: number;
  lo: number;
  hi: number;
  /** Rates: judgements right under a only, under b only. Null for means. */
  onlyA: number | null;
  onlyB: number | null;
}

/** The judgements evaluateHeldout makes, collected. */
export function collectJudgements(model: MultimodalModel, tok: Tokenizers, o: HeldoutEvalOptions): Judgements {
  const j: Judgements = new Map();
  evaluateHeldout(model, tok, {
    ...o,
    onJudgement: (item, k, v) => {
      const byItem = j.get(k) ?? new Map<string, number[]>();
      j.set(k, byItem);
      const list = byItem.get(item);
      if (list) list.push(v);
      else byItem.set(item, [v]);
    },
  });
  return j;
}

// understanding pools captions, questions and sign reading, as summarise() does
const POOLED: Partial<Record<MetricKey, readonly MetricKey[]>> = {
  understanding_acc: ['caption_acc', 'vqa_acc', 'ocr_acc'],
};

/** a's and b's judgements of one metric, paired item by item. */
export function pairJudgements(
  a: Judgements,
  b: Judgements,
  key: MetricKey,
): { a: number[]; b: number[]; unpairedA: number; unpairedB: number } {
  const out = { a: [] as number[], b: [] as number[], unpairedA: 0, unpairedB: 0 };
  for (const k of POOLED[key] ?? [key]) {
    const ja = a.get(k) ?? new Map<string, number[]>();
    const jb = b.get(k) ?? new Map<string, number[]>();
    for (const [item, xs] of ja) {
      const ys = jb.get(item) ?? [];
      if (xs.length === ys.length) {
        out.a.push(...xs);
        out.b.push(...ys);
      } else {
        out.unpairedA += xs.length;
        out.unpairedB += ys.length;
      }
    }
    for (const [item, ys] of jb) if (!ja.has(item)) out.unpairedB += ys.length;
  }
  return out;
}

/** Every metric with paired judgements: a against b. */
export function compareJudgements(a: Judgements, b: Judgements): ComparedMetric[] {
  const rows: ComparedMetric[] = [];
  for (const key of METRIC_KEYS) {
    const p = pairJudgements(a, b, key);
    const n = p.a.length;
    if (n === 0 && p.unpairedA + p.unpairedB === 0) continue;
    const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
    const base = { key, n, unpairedA: p.unpairedA, unpairedB: p.unpairedB, a: mean(p.a), b: mean(p.b) };
    if (n === 0) {
      rows.push({ ...base, diff: 0, lo: 0, hi: 0, onlyA: null, onlyB: null });
    } else if (MEAN_METRICS.includes(key)) {
      const d = p.a.map((x, i) => x - p.b[i]);
      const m = mean(d);
      const sd = n > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1)) : 0;
      const half = Z95 * (sd / Math.sqrt(n));
      rows.push({ ...base, diff: m, lo: Math.max(-1, m - half), hi: Math.min(1, m + half), onlyA: null, onlyB: null });
    } else {
      const d = pairedDifference(p.a, p.b)!;
      rows.push({ ...base, diff: d.diff, lo: d.lo, hi: d.hi, onlyA: d.onlyA, onlyB: d.onlyB });
    }
  }
  return rows;
}

/** `tessera compare`: both models on evaluateHeldout's items, every metric's paired difference. */
export function compareModels(
  a: { model: MultimodalModel; tok: Tokenizers },
  b: { model: MultimodalModel; tok: Tokenizers },
  o: HeldoutEvalOptions,
): ComparedMetric[] {
  return compareJudgements(collectJudgements(a.model, a.tok, o), collectJudgements(b.model, b.tok, o));
}
