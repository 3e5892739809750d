// `tessera eval`'s protocol and output: held-out items (n per task kind) plus the factor items (n per
// held-out factor), judged by the verifier; a table with a header row (metric, value, 95% interval, n) and
// a JSON object with the same fields. Shared by `tessera eval` and `tessera eval-scaling`.
import { evaluationItems, factorItems, type Split, type TaskKind } from '../data/index.js';
import type { MultimodalModel, Tokenizers } from '../model/index.js';
import {
  type EvalResult,
  evaluate,
  FACTOR_KEYS,
  MEAN_METRICS,
  METRIC_KEYS,
  type MetricKey,
  mergeResults,
} from './evaluate.js';

/** The default items per task kind and per held-out factor: at least 100 judgements a metric. */
export const DEFAULT_EVAL_N = 100;

export interface HeldoutEvalOptions {
  tasks: readonly TaskKind[];
  /** Items per task kind. */
  n: number;
  /** Items per held-out factor (factorItems of the groups in `tasks`; held-out split only; 0: none). Default n. */
  factorN?: number;
  split?: Split;
  guidance?: number;
  /** SampleOptions.keepBias (models with KEEP). */
  keepBias?: number;
  /** EvalOptions.candidates: text-to-image turns judged on the best of this many drawings by the model's
   *  own reading (default 1: greedy). */
  candidates?: number;
  /** Also the lenient verifier's verdicts on the same outputs (EvalResult.lenient). */
  lenient?: boolean;
  /** EvalOptions.onJudgement; the factor items' ids are given as `factor/ID` (they are a second list). */
  onJudgement?: (item: string, key: MetricKey, value: number) => void;
}

/** The evaluation `tessera eval` runs: task items, then factor items pooled into the factor metrics. */
export function evaluateHeldout(model: MultimodalModel, tok: Tokenizers, o: HeldoutEvalOptions): EvalResult {
  const split = o.split ?? 'heldout';
  const opts = { guidance: o.guidance, keepBias: o.keepBias, lenient: o.lenient, candidates: o.candidates };
  const r = evaluate(model, tok, evaluationItems(o.tasks, o.n, 1000, split), { ...opts, onJudgement: o.onJudgement });
  const fn = split === 'heldout' ? (o.factorN ?? o.n) : 0;
  if (fn === 0) return r;
  const on = o.onJudgement;
  return mergeResults(
    r,
    evaluate(model, tok, factorItems(fn, 1000, o.tasks), {
      ...opts,
      keys: FACTOR_KEYS,
      onJudgement: on && ((item, k, v) => on(`factor/${item}`, k, v)),
    }),
    FACTOR_KEYS,
  );
}

export interface MetricRow {
  value: number | null;
  n: number;
  lo: number | null;
  hi: number | null;
  /** How the interval is computed. */
  interval: 'wilson' | 'normal';
  /** With a lenient evaluation: the value with malformed shapes accepted (the verifier before its tolerance). */
  lenient?: number | null;
}

/** One row per metric: the fields both the table and the JSON carry. */
export function metricRows(r: EvalResult): Record<MetricKey, MetricRow> {
  return Object.fromEntries(
    METRIC_KEYS.map((k) => [
      k,
      {
        value: r.metrics[k],
        n: r.counts[k],
        lo: r.intervals[k]?.[0] ?? null,
        hi: r.intervals[k]?.[1] ?? null,
        interval: MEAN_METRICS.includes(k) ? 'normal' : 'wilson',
        ...(r.lenient ? { lenient: r.lenient.metrics[k] } : {}),
      },
    ]),
  ) as Record<MetricKey, MetricRow>;
}

const f3 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

/** A 95% interval as the tables print it: "[lo, hi]", with " (mean)" for a mean's normal interval; n/a. */
export function formatInterval(ci: readonly [number, number] | null, isMean: boolean): string {
  return ci ? `[${f3(ci[0])}, ${f3(ci[1])}]${isMean ? ' (mean)' : ''}` : 'n/a';
}

/** The table: a header row, then metric, value, 95% interval and n (and the lenient value), aligned. */
export function formatMetricTable(r: EvalResult): string {
  const rows = metricRows(r);
  const lines = [['metric', 'value', '95% interval', 'n', ...(r.lenient ? ['lenient verifier'] : [])]];
  for (const k of METRIC_KEYS) {
    const m = rows[k];
    const ci = formatInterval(m.lo === null ? null : [m.lo, m.hi!], m.interval === 'normal');
    lines.push([k, f3(m.value), ci, String(m.n), ...(r.lenient ? [f3(m.lenient ?? null)] : [])]);
  }
  const w = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  const right = [false, true, false, true, true];
  return lines
    .map((l) =>
      l
        .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
