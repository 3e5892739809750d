// The metrics log (one JSON object per line: step records and eval records), a hand-written progress bar
// on stderr (no dependency; redraws in place on a terminal, prints a line every 10% otherwise), and an SVG
// plot of the loss curves written by hand (a few polylines do not need a plotting library).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CURVE_COLORS } from './plot-colors.js';

export type LogRecord = { type: 'step' | 'eval'; step: number; [k: string]: unknown };

export class MetricsLog {
  constructor(readonly path: string) {}

  append(r: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }

  read(): LogRecord[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as LogRecord);
  }

  /** On resume: drop records written after the checkpoint's step (they will be written again). */
  truncateAfter(step: number): void {
    const keep = this.read().filter((r) => r.step <= step);
    writeFileSync(this.path, keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

/** The one progress bar's drawing: [######..........] for a fraction done (training steps, sampled codes). */
export function progressBar(frac: number, width = 24): string {
  const f = Math.min(1, Math.max(0, frac));
  return `[${'#'.repeat(Math.round(f * width)).padEnd(width, '.')}]`;
}

export class ProgressBar {
  private readonly t0 = Date.now();
  private lastDecile = -1;
  constructor(
    /** Planned steps; may change (a time budget fixes it after the first steps). */
    public total: number,
    private readonly start: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(step: number, info: string): void {
    const frac = Math.min(1, step / Math.max(1, this.total));
    const done = step - this.start;
    const perStep = done > 0 ? (Date.now() - this.t0) / done : 0;
    const eta = fmtTime(((this.total - step) * perStep) / 1000);
    const line = `${progressBar(frac)} ${(frac * 100).toFixed(0).padStart(3)}% step ${step}/${this.total} ${info} ETA ${eta}`;
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K`);
    else if (Math.floor(frac * 10) > this.lastDecile) {
      this.lastDecile = Math.floor(frac * 10);
      this.out.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** SVG of loss curves: total, text, image and per-task losses against step (moving average of 10). */
export function plotCurves(records: LogRecord[], title = 'training loss'): string {
  const steps = records.filter((r) => r.type === 'step');
  const series = new Map<string, [number, number][]>();
  const add = (name: string, x: number, y: unknown) => {
    if (typeof y !== 'number' || !Number.isFinite(y)) return;
    if (!series.has(name)) series.set(name, []);
    series.get(name)!.push([x, y]);
  };
  for (const r of steps) {
    add('loss', r.step, r.loss);
    add('text', r.step, r.textLoss);
    add('image', r.step, r.imageLoss);
    for (const [k, v] of Object.entries((r.taskLoss as Record<string, number>) ?? {})) add(k, r.step, v);
  }
  const W = 760;
  const H = 420;
  const L = 50;
  const R = 150;
  const T = 30;
  const Bm = 30;
  const all = [...series.values()].flat();
  const xmax = Math.max(1, ...all.map((p) => p[0]));
  const ymax = Math.max(1e-6, ...all.map((p) => p[1]));
  const X = (x: number) => L + (x / xmax) * (W - L - R);
  const Y = (y: number) => T + (1 - y / ymax) * (H - T - Bm);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/><text x="${L}" y="18" font-size="14">${title}</text>`,
    `<line x1="${L}" y1="${Y(0)}" x2="${W - R}" y2="${Y(0)}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${Y(0)}" stroke="#999"/>`,
    `<text x="${L - 5}" y="${T + 4}" text-anchor="end">${ymax.toFixed(2)}</text><text x="${L - 5}" y="${Y(0)}" text-anchor="end">0</text>`,
    `<text x="${W - R}" y="${H - 10}" text-anchor="end">step ${xmax}</text>`,
  ];
  [...series.entries()].forEach(([name, pts], i) => {
    const sm = pts.map((p, j) => {
      const w = pts.slice(Math.max(0, j - 9), j + 1);
      return [p[0], w.reduce((a, q) => a + q[1], 0) / w.length];
    });
    const color = CURVE_COLORS[i % CURVE_COLORS.length];
    const d = sm.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="${i === 0 ? 2 : 1}" points="${d}"/>`);
    parts.push(`<text x="${W - R + 8}" y="${T + 12 * i + 4}" fill="${color}">${name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
