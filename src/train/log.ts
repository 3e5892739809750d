// The metrics log (one JSON object per line: step records and eval records), a hand-written progress bar
// on stderr (no dependency; redraws in place on a terminal, prints a line every 10% otherwise), and the
// SVG plot of a run's loss curves (drawn by src/train/plot.ts on a log axis).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { movingAverage, plotSeries } from './plot.js';

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

/** SVG of loss curves: total, text, image and per-task losses against step (moving average of 10), on a
 *  log-scale loss axis (src/train/plot.ts). */
export function plotCurves(records: LogRecord[], title = 'training loss'): string {
  const series = new Map<string, [number, number][]>();
  const add = (name: string, x: number, y: unknown) => {
    if (typeof y !== 'number' || !Number.isFinite(y)) return;
    if (!series.has(name)) series.set(name, []);
    series.get(name)!.push([x, y]);
  };
  for (const r of records.filter((r) => r.type === 'step')) {
    add('loss', r.step, r.loss);
    add('text', r.step, r.textLoss);
    add('image', r.step, r.imageLoss);
    for (const [k, v] of Object.entries((r.taskLoss as Record<string, number>) ?? {})) add(k, r.step, v);
  }
  return plotSeries(
    [...series.entries()].map(([name, pts]) => ({ name, points: movingAverage(pts, 10) })),
    { title },
  );
}
