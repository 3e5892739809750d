// Training curves for the web studio: renderCurves draws the series of a train-curves.json (total, text,
// image and per-task losses against step; see scripts/recover-curves.mjs for the shipped model's) with
// uPlot, bundled, on a logarithmic loss axis, since the losses span two decades and the late part of
// training is where the series differ.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
// the colours of src/train/log.ts plotCurves, so the plot reads like the SVG in the docs
import { CURVE_COLORS } from '../src/train/plot-colors.js';

export interface Curves {
  source: string;
  series: { name: string; points: [number, number][] }[];
}

/** uPlot's aligned columns: the union of steps, then each series' loss at each step (null where it has
 *  none: the per-task series are sparse; a loss <= 0 has no place on a log axis and is left out too). */
export function alignedData(curves: Curves): uPlot.AlignedData {
  const steps = [...new Set(curves.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const columns = curves.series.map((s) => {
    const col: (number | null)[] = new Array(steps.length).fill(null);
    for (const [step, loss] of s.points) if (loss > 0) col[at.get(step)!] = loss;
    return col;
  });
  return [steps, ...columns];
}

/** Draws the curves into `element`; returns the plot (its scales.y.distr is 3: logarithmic). */
export function renderCurves(element: HTMLElement, curves: Curves, width = 760, height = 420): uPlot {
  const options: uPlot.Options = {
    title: 'training loss (moving average of 10)',
    width,
    height,
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'step' }, { label: 'loss (log)' }],
    series: [
      { label: 'step' },
      ...curves.series.map((s, i) => ({
        label: s.name,
        stroke: CURVE_COLORS[i % CURVE_COLORS.length],
        width: i === 0 ? 2 : 1,
        spanGaps: true,
        points: { show: false },
      })),
    ],
  };
  return new uPlot(options, alignedData(curves), element);
}

/** A model's evaluation (models/NAME/eval.json, from `tessera eval --json` on both splits). */
export interface Benchmark {
  source: string;
  heldout: Record<string, { value: number | null; n: number; lo: number; hi: number }>;
  train: Record<string, { value: number | null; n: number; lo: number; hi: number }>;
}

/** The headline metrics with short labels, in the order of the README's table. A factor metric's trained
 *  counterpart is measured in the held-out run itself (the trained objects or words beside the held-out
 *  ones): `held-out:` names it; otherwise the same metric of the train split. */
export const BENCHMARK_METRICS: [string, string, string?][] = [
  ['understanding_acc', 'understanding'],
  ['t2i_acc', 't2i all'],
  ['t2i_object_acc', 't2i objects'],
  ['t2i_heldout_pair_object_acc', 'pairs', 'held-out:t2i_trained_pair_object_acc'],
  ['text_render_word_acc', 'sign words'],
  ['text_render_heldout_word_acc', 'words', 'held-out:text_render_trained_word_acc'],
  ['edit_success', 'edits'],
  ['edit_preservation', 'pixels kept'],
  ['knowledge_transfer_acc', 'transfer'],
  ['imagine_answer_acc', 'imagine'],
];

type Metric = Benchmark['heldout'][string];

/** The trained-side measurement of a headline metric (see BENCHMARK_METRICS). */
function trainedOf(b: Benchmark, key: string, counterpart?: string): Metric | undefined {
  if (counterpart?.startsWith('held-out:')) return b.heldout[counterpart.slice('held-out:'.length)];
  return b.train[key];
}

/** The headline metrics as bars, held-out beside trained combinations (uPlot bars; 0..1). The 95% interval
 *  of every bar is in its legend value (hover). */
export function renderBenchmark(element: HTMLElement, b: Benchmark, width = 760, height = 320): uPlot {
  const keys = BENCHMARK_METRICS.filter(([k]) => b.heldout[k]);
  const x = keys.map((_, i) => i);
  const held = keys.map(([k]) => b.heldout[k]);
  const trained = keys.map(([k, , c]) => trainedOf(b, k, c));
  const bars = uPlot.paths.bars!({ size: [0.35, 40], align: 0 });
  const fmt = (ms: (Metric | undefined)[]) => (_u: uPlot, v: number | null, _s: number, i: number | null) => {
    const m = i === null ? undefined : ms[i];
    if (v === null || !m) return '-';
    return `${v.toFixed(2)} [${m.lo.toFixed(2)}, ${m.hi.toFixed(2)}] n=${m.n}`;
  };
  const options: uPlot.Options = {
    title: 'benchmark: held-out vs trained combinations (verifier-judged)',
    width,
    height,
    scales: { x: { time: false, range: [-0.5, keys.length - 0.5] }, y: { range: [0, 1] } },
    axes: [{ values: (_u, ticks) => ticks.map((t) => keys[t]?.[1] ?? ''), space: 20, size: 40 }, { label: 'rate' }],
    series: [
      { label: 'metric', value: (_u, v) => keys[v]?.[1] ?? '' },
      {
        label: 'held-out',
        fill: '#d62728',
        stroke: '#d62728',
        paths: bars,
        points: { show: false },
        value: fmt(held),
      },
      {
        label: 'trained',
        fill: '#1f77b4',
        stroke: '#1f77b4',
        paths: uPlot.paths.bars!({ size: [0.35, 40], align: 1 }),
        points: { show: false },
        value: fmt(trained),
      },
    ],
  };
  const values = (ms: (Metric | undefined)[]) => ms.map((m) => m?.value ?? null);
  return new uPlot(options, [x, values(held), values(trained)], element);
}
