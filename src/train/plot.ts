// The SVG plot of loss curves: loss on a log-scale y axis (losses fall over decades: on a linear axis the
// first steps' loss sets the scale and the rest of the run lies flat along the bottom), steps on a linear
// x axis, one polyline per series and a legend. Written by hand: it is an axis, some ticks and a few
// polylines, and a plotting library would be a dependency (and a DOM) for a file `tessera train` writes
// at the end of every run; the studio draws the same curves with uPlot in the browser (web/plots.ts).
import { CURVE_COLORS } from './plot-colors.js';

export interface CurveSeries {
  name: string;
  /** [step, loss] in step order. */
  points: readonly (readonly [number, number])[];
}

export interface LogTick {
  value: number;
  /** Decades (1, 10, 0.1, ...) are major ticks; 2..9 times a decade are minor. */
  major: boolean;
  /** The printed label, or '' for an unlabelled minor tick. */
  label: string;
}

/** A log-scale axis over [min, max] (both > 0): position 0 at min, 1 at max, equal spacing per decade. */
export interface LogAxis {
  min: number;
  max: number;
  /** 0..1 from min to max in log space. */
  frac(v: number): number;
  ticks: LogTick[];
}

/** A tick value as a short label: 0.01, 0.1, 1, 10, 100, 1000; 1e-5, 1e+6 beyond. */
export function tickLabel(v: number): string {
  const e = Math.floor(Math.log10(v) + 1e-9);
  if (e < -3 || e > 4) return v.toExponential(0).replace('e+', 'e');
  return Number(v.toPrecision(1)).toString();
}

/**
 * A log axis for positive values: from min to max padded by 4% of the span in log space (at least 0.05
 * decade), so the data fill the height. Ticks at each decade inside (labelled) and at 2..9 times a decade
 * (labelled too when the axis holds under two decade ticks, so it always has labels).
 */
export function logAxis(lo: number, hi: number): LogAxis {
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi)))
    throw new RangeError(`logAxis: the range must be positive and finite, got ${lo}..${hi}`);
  const pad = Math.max(0.04 * Math.abs(Math.log10(hi / lo)), 0.05);
  const a = Math.log10(Math.min(lo, hi)) - pad;
  const b = Math.log10(Math.max(lo, hi)) + pad;
  const frac = (v: number) => (Math.log10(v) - a) / (b - a);
  const ticks: LogTick[] = [];
  const inside = (v: number) => Math.log10(v) >= a - 1e-9 && Math.log10(v) <= b + 1e-9;
  for (let e = Math.floor(a); e <= Math.ceil(b); e++)
    for (let m = 1; m <= 9; m++) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (inside(v)) ticks.push({ value: v, major: m === 1, label: '' });
    }
  const labelMinor = ticks.filter((t) => t.major).length < 2;
  for (const t of ticks) if (t.major || labelMinor) t.label = tickLabel(t.value);
  return { min: 10 ** a, max: 10 ** b, frac, ticks };
}

/** Round step ticks for a linear axis 0..max: about `count` of them at 1, 2 or 5 times a power of ten. */
export function linearTicks(max: number, count = 6): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Each point's mean with the (w - 1) before it. */
export function movingAverage(pts: readonly (readonly [number, number])[], w: number): [number, number][] {
  return pts.map((p, j) => {
    const win = pts.slice(Math.max(0, j - w + 1), j + 1);
    return [p[0], win.reduce((acc, q) => acc + q[1], 0) / win.length];
  });
}

/** The plot's frame in px: the plot area is x in [left, right], y in [top, bottom]. */
export const PLOT_FRAME = { width: 760, height: 420, left: 60, right: 610, top: 30, bottom: 380 } as const;

/** A series' points in px, one polyline per run of positive values (a value <= 0 breaks the line). */
function curvePolylines(s: CurveSeries, X: (x: number) => number, Y: (y: number) => number): string[] {
  const runs: string[][] = [[]];
  for (const [x, y] of s.points) {
    if (Number.isFinite(y) && y > 0) runs[runs.length - 1].push(`${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
    else if (runs[runs.length - 1].length) runs.push([]);
  }
  return runs.filter((r) => r.length).map((r) => r.join(' '));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * SVG of the series against step on a log loss axis. Values <= 0 (and non-finite ones) cannot sit on a log
 * axis: they are left out, the line breaks there, and a note under the plot counts them.
 */
export function plotSeries(series: readonly CurveSeries[], o: { title?: string } = {}): string {
  const F = PLOT_FRAME;
  const title = o.title ?? 'training loss';
  const all = series.flatMap((s) => s.points);
  const positive = all.filter(([, y]) => Number.isFinite(y) && y > 0);
  const dropped = all.length - positive.length;
  // reduce, not Math.max(...points): a long run's curves hold more points than a call may take arguments
  const xmax = all.reduce((m, p) => Math.max(m, p[0]), 1);
  const axis = positive.length
    ? logAxis(
        positive.reduce((m, p) => Math.min(m, p[1]), Number.POSITIVE_INFINITY),
        positive.reduce((m, p) => Math.max(m, p[1]), Number.NEGATIVE_INFINITY),
      )
    : logAxis(0.1, 10);
  const X = (x: number) => F.left + (x / xmax) * (F.right - F.left);
  const Y = (y: number) => F.bottom - axis.frac(y) * (F.bottom - F.top);
  const px = (v: number) => v.toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${F.width}" height="${F.height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${F.width}" height="${F.height}" fill="white"/><text x="${F.left}" y="18" font-size="14">${esc(title)}</text>`,
  ];
  for (const t of axis.ticks) {
    const y = px(Y(t.value));
    if (t.major) parts.push(`<line x1="${F.left}" y1="${y}" x2="${F.right}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<line class="ytick" data-value="${t.value}" x1="${F.left - (t.major ? 6 : 3)}" y1="${y}" x2="${F.left}" y2="${y}" stroke="#999"/>`,
    );
    if (t.label)
      parts.push(
        `<text class="ylabel" x="${F.left - 8}" y="${px(Y(t.value) + 4)}" text-anchor="end">${t.label}</text>`,
      );
  }
  for (const s of linearTicks(xmax)) {
    const x = px(X(s));
    parts.push(`<line x1="${x}" y1="${F.bottom}" x2="${x}" y2="${F.bottom + 5}" stroke="#999"/>`);
    parts.push(`<text x="${x}" y="${F.bottom + 17}" text-anchor="middle">${s}</text>`);
  }
  parts.push(
    `<line x1="${F.left}" y1="${F.bottom}" x2="${F.right}" y2="${F.bottom}" stroke="#999"/><line x1="${F.left}" y1="${F.top}" x2="${F.left}" y2="${F.bottom}" stroke="#999"/>`,
    `<text x="${(F.left + F.right) / 2}" y="${F.bottom + 34}" text-anchor="middle">step (of ${xmax})</text>`,
    `<text transform="translate(14 ${(F.top + F.bottom) / 2}) rotate(-90)" text-anchor="middle">loss (log scale)</text>`,
  );
  // the first series (the total loss) is drawn last, on top; colours past the palette's end repeat dashed
  const lines: string[] = [];
  series.forEach((s, i) => {
    const color = CURVE_COLORS[i % CURVE_COLORS.length];
    const dash = i >= CURVE_COLORS.length ? ' stroke-dasharray="4 2"' : '';
    const drawn = curvePolylines(s, X, Y).map(
      (pts) =>
        `<polyline class="curve" data-name="${esc(s.name)}" fill="none" stroke="${color}" stroke-width="${i === 0 ? 2 : 1}"${dash} points="${pts}"/>`,
    );
    if (i === 0) lines.push(...drawn);
    else parts.push(...drawn);
    parts.push(`<text x="${F.right + 10}" y="${F.top + 12 * i + 4}" fill="${color}">${esc(s.name)}</text>`);
  });
  parts.push(...lines);
  if (dropped > 0)
    parts.push(
      `<text x="${F.right}" y="${F.height - 4}" text-anchor="end" fill="#999">${dropped} value${dropped === 1 ? '' : 's'} &lt;= 0 not drawn (log axis)</text>`,
    );
  parts.push('</svg>');
  return parts.join('\n');
}
