// The scaling table: every metric against the items a run had seen, from the checkpoints kept along it
// (RUN/checkpoints/step-<N>, written with `tessera train --keep-checkpoints N`, and RUN/checkpoint), each
// evaluated like `tessera eval`; a table with a header row and an SVG of small multiples on a log x axis.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CURVE_COLORS } from '../train/plot-colors.js';
import type { EvalResult, MetricKey } from './evaluate.js';
import { METRIC_KEYS } from './evaluate.js';

export interface RunCheckpoint {
  run: string;
  dir: string;
  step: number;
  /** Items seen up to this step (from RUN/metrics.jsonl), null when the log does not record them. */
  items: number | null;
}

/** A run folder that has no checkpoint to evaluate. */
export class ScalingError extends Error {
  override name = 'ScalingError';
}

function stepOf(dir: string): number {
  const p = join(dir, 'state.json');
  if (!existsSync(p)) throw new ScalingError(`${dir}: no state.json; HINT: give a run folder written by tessera train`);
  const s = JSON.parse(readFileSync(p, 'utf8')) as { step?: unknown };
  if (typeof s.step !== 'number') throw new ScalingError(`${p}: no step`);
  return s.step;
}

/** Items seen at each step: running sum of the step records' `items` (null where a record lacks them). */
function itemsByStep(run: string): Map<number, number | null> {
  const out = new Map<number, number | null>();
  const p = join(run, 'metrics.jsonl');
  if (!existsSync(p)) return out;
  let sum: number | null = 0;
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { type?: string; step?: number; items?: unknown };
    if (r.type !== 'step' || typeof r.step !== 'number') continue;
    sum = sum !== null && typeof r.items === 'number' ? sum + r.items : null;
    out.set(r.step, sum);
  }
  return out;
}

/** Every checkpoint of a run, by step: the kept copies and the latest (deduplicated by step). */
export function findCheckpoints(run: string): RunCheckpoint[] {
  const dirs: string[] = [];
  const kept = join(run, 'checkpoints');
  if (existsSync(kept)) for (const d of readdirSync(kept)) if (/^step-\d+$/.test(d)) dirs.push(join(kept, d));
  if (existsSync(join(run, 'checkpoint'))) dirs.push(join(run, 'checkpoint'));
  if (dirs.length === 0)
    throw new ScalingError(
      `${run}: no checkpoints (neither checkpoints/step-N nor checkpoint); HINT: train with --keep-checkpoints N`,
    );
  const items = itemsByStep(run);
  const bySteps = new Map<number, RunCheckpoint>();
  for (const dir of dirs) {
    const step = stepOf(dir);
    if (!bySteps.has(step)) bySteps.set(step, { run, dir, step, items: items.get(step) ?? null });
  }
  return [...bySteps.values()].sort((a, b) => a.step - b.step);
}

export interface ScalingPoint {
  checkpoint: RunCheckpoint;
  result: EvalResult;
}

/** The x of a point: items seen when every point has them, else steps. */
export function scalingAxis(points: readonly ScalingPoint[]): { label: string; x: (p: ScalingPoint) => number } {
  const items = points.every((p) => p.checkpoint.items !== null);
  return items
    ? { label: 'items seen', x: (p) => p.checkpoint.items as number }
    : { label: 'steps', x: (p) => p.checkpoint.step };
}

/** Header row: metric, then one column per checkpoint (run, step, items); rows: value [lo, hi] n. */
export function formatScalingTable(points: readonly ScalingPoint[]): string {
  const ax = scalingAxis(points);
  const head = ['metric', ...points.map((p) => `${p.checkpoint.run} ${ax.label} ${ax.x(p)}`)];
  const lines = [head];
  for (const k of METRIC_KEYS) {
    if (points.every((p) => p.result.counts[k] === 0)) continue;
    lines.push([
      k,
      ...points.map((p) => {
        const v = p.result.metrics[k];
        const ci = p.result.intervals[k];
        return v === null
          ? 'n/a'
          : `${v.toFixed(3)} [${ci![0].toFixed(2)}, ${ci![1].toFixed(2)}] n=${p.result.counts[k]}`;
      }),
    ]);
  }
  const w = head.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => c.padEnd(w[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Small multiples, one panel a metric judged at least once: value and its 95% band against a log x axis;
 *  one color a run. */
export function scalingSvg(points: readonly ScalingPoint[]): string {
  const ax = scalingAxis(points);
  const keys = METRIC_KEYS.filter((k) => points.some((p) => p.result.counts[k] > 0));
  const runs = [...new Set(points.map((p) => p.checkpoint.run))];
  const cols = 4;
  const pw = 220;
  const ph = 150;
  const rows = Math.ceil(keys.length / cols);
  const W = cols * pw;
  const H = rows * ph + 40;
  const xs = points.map(ax.x).filter((x) => x > 0);
  // whole decades around the data
  const lx0 = Math.floor(Math.log10(Math.min(...xs, 10 ** 9)));
  const lx1 = Math.max(lx0 + 1, Math.ceil(Math.log10(Math.max(...xs, 1))));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="10">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="8" y="16" font-size="13">held-out metrics against ${ax.label} (log scale), 95% bands</text>`,
    ...runs.map(
      (r, i) =>
        `<text x="${W - 8}" y="${16 + 12 * i}" text-anchor="end" fill="${CURVE_COLORS[i % CURVE_COLORS.length]}">${esc(r)}</text>`,
    ),
  ];
  keys.forEach((k: MetricKey, i) => {
    const ox = (i % cols) * pw + 34;
    const oy = Math.floor(i / cols) * ph + 40;
    const w = pw - 46;
    const h = ph - 44;
    const X = (x: number) => ox + ((Math.log10(Math.max(x, 1)) - lx0) / (lx1 - lx0)) * w;
    const Y = (y: number) => oy + 14 + (1 - y) * h;
    parts.push(
      `<text x="${ox}" y="${oy + 8}">${esc(k)}</text>`,
      `<rect x="${ox}" y="${oy + 14}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
      `<text x="${ox - 3}" y="${Y(1) + 4}" text-anchor="end">1</text><text x="${ox - 3}" y="${Y(0) + 4}" text-anchor="end">0</text>`,
    );
    for (let d = Math.ceil(lx0); d <= Math.floor(lx1); d++)
      parts.push(`<text x="${X(10 ** d)}" y="${Y(0) + 12}" text-anchor="middle">1e${d}</text>`);
    runs.forEach((run, ri) => {
      const color = CURVE_COLORS[ri % CURVE_COLORS.length];
      const pts = points.filter((p) => p.checkpoint.run === run && p.result.metrics[k] !== null);
      if (pts.length === 0) return;
      const band = [
        ...pts.map((p) => `${X(ax.x(p)).toFixed(1)},${Y(p.result.intervals[k]![1]).toFixed(1)}`),
        ...[...pts].reverse().map((p) => `${X(ax.x(p)).toFixed(1)},${Y(p.result.intervals[k]![0]).toFixed(1)}`),
      ].join(' ');
      parts.push(`<polygon points="${band}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
      const line = pts.map((p) => `${X(ax.x(p)).toFixed(1)},${Y(p.result.metrics[k]!).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${line}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
      for (const p of pts)
        parts.push(
          `<circle cx="${X(ax.x(p)).toFixed(1)}" cy="${Y(p.result.metrics[k]!).toFixed(1)}" r="2" fill="${color}"/>`,
        );
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}
