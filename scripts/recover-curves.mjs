#!/usr/bin/env node
// Recovers the shipped model's training curves from docs/images/train-curves.svg (the run's metrics.jsonl
// was not kept) into models/tessera-default/train-curves.json, for the web studio's plot (web/plots.ts).
// The SVG is what src/train/log.ts plotCurves wrote: one <polyline> per series, each followed by its
// <text> label, in the order loss, text, image, then the per-task losses; x from 50 to 610 px is step
// 0..xmax, y from 390 px (loss 0) up to 30 px (loss ymax); the axis labels give xmax and ymax. The points
// are the moving average of 10 that plotCurves drew, at 0.1 px resolution: about 16 steps a px on x, and
// ymax / 3600 on y, so steps and losses are approximate. That linear-axis SVG has since been replaced by
// the log-axis plot drawn from the JSON (scripts/plot-curves.mjs); it is in git history:
//   git show 2d12df9:docs/images/train-curves.svg > /tmp/old.svg && node scripts/recover-curves.mjs /tmp/old.svg
//   node scripts/recover-curves.mjs [svg] [out.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const svgPath = process.argv[2] ?? join(root, 'docs/images/train-curves.svg');
const outPath = process.argv[3] ?? join(root, 'models/tessera-default/train-curves.json');
// plotCurves' frame: W 760, H 420, margins L 50, R 150, T 30, bottom 30
const FRAME = { left: 50, right: 610, top: 30, bottom: 390 };

/** The number in the axis label that matches `re` (the step and loss ranges). */
function axisLabel(svg, re, what) {
  const m = re.exec(svg);
  if (!m) throw new Error(`${svgPath}: no ${what} label (${re}); is this plotCurves' SVG?`);
  return Number(m[1]);
}

/** Each polyline's points with the label that follows it. */
function polylines(svg) {
  const out = [];
  const re = /<polyline [^>]*points="([^"]*)"\/>\s*<text [^>]*>([^<]*)<\/text>/g;
  for (let m = re.exec(svg); m !== null; m = re.exec(svg)) {
    const points = m[1]
      .trim()
      .split(/\s+/)
      .map((p) => p.split(',').map(Number));
    out.push({ name: m[2], points });
  }
  if (out.length === 0) throw new Error(`${svgPath}: no labelled polylines`);
  return out;
}

function recover(svg) {
  const xmax = axisLabel(svg, />step (\d+)<\/text>/, 'step');
  const ymax = axisLabel(svg, /<text x="45" y="34" text-anchor="end">([\d.]+)<\/text>/, 'loss');
  const step = (x) => Math.round(((x - FRAME.left) / (FRAME.right - FRAME.left)) * xmax);
  const loss = (y) => Number((((FRAME.bottom - y) / (FRAME.bottom - FRAME.top)) * ymax).toFixed(4));
  const series = polylines(svg).map(({ name, points }) => ({
    name,
    points: points.map(([x, y]) => [step(x), loss(y)]),
  }));
  return {
    source:
      `recovered from ${relative(root, svgPath)} by scripts/recover-curves.mjs: the moving average of 10 ` +
      `that src/train/log.ts plotCurves drew, read back at the SVG's 0.1 px resolution (steps within ` +
      `${Math.ceil((0.1 * xmax) / (FRAME.right - FRAME.left))}, losses within ` +
      `${((0.1 * ymax) / (FRAME.bottom - FRAME.top)).toFixed(4)}); the run's metrics.jsonl was not kept`,
    steps: xmax,
    series,
  };
}

const curves = recover(readFileSync(svgPath, 'utf8'));
writeFileSync(outPath, `${JSON.stringify(curves)}\n`);
const n = curves.series.reduce((a, s) => a + s.points.length, 0);
console.log(
  `${relative(root, outPath)}: ${curves.series.length} series, ${n} points (${curves.series.map((s) => s.name).join(', ')})`,
);
