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
