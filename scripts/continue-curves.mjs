#!/usr/bin/env node
// The training curves of a model that continued another (tessera train --init): the base model's
// train-curves.json, then each continuation run's metrics.jsonl, its steps offset to follow on, as the
// moving average of the last W values (--window W, default 10, what the plots draw; the base's points
// already are one), every E-th averaged point of a run kept (--every E, default 1: all; the shipped file is
// read by the studio, so long runs are thinned). Series: loss, text, image and one per task, as in
// train-curves.json ({source, steps, series: [{name, points: [[step, loss], ...]}]}).
//   node scripts/continue-curves.mjs [--window W] [--every E] BASE.json RUN/metrics.jsonl [RUN2/metrics.jsonl ...] > OUT.json
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const wi = argv.indexOf('--window');
const W = wi >= 0 ? Number(argv.splice(wi, 2)[1]) : 10;
if (!(Number.isInteger(W) && W >= 1)) throw new Error('--window must be an integer >= 1');
const ei = argv.indexOf('--every');
const E = ei >= 0 ? Number(argv.splice(ei, 2)[1]) : 1;
if (!(Number.isInteger(E) && E >= 1)) throw new Error('--every must be an integer >= 1');
const [basePath, ...runs] = argv;
if (!basePath || runs.length === 0)
  throw new Error('usage: node scripts/continue-curves.mjs BASE.json RUN/metrics.jsonl [RUN2/metrics.jsonl ...]');
const base = JSON.parse(readFileSync(basePath, 'utf8'));
if (!Array.isArray(base.series)) throw new Error(`${basePath}: no "series" array; is this a train-curves.json?`);
const series = new Map(base.series.map((s) => [s.name, [...s.points]]));
let offset = base.steps;
const sources = [base.source];
for (const path of runs) {
  const steps = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'step');
  if (steps.length === 0) throw new Error(`${path}: no step records`);
  const raw = new Map();
  const push = (name, step, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    if (!raw.has(name)) raw.set(name, []);
    raw.get(name).push([offset + step, v]);
  };
  for (const r of steps) {
    push('loss', r.step, r.loss);
    push('text', r.step, r.textLoss);
    push('image', r.step, r.imageLoss);
    for (const [task, v] of Object.entries(r.taskLoss ?? {})) push(task, r.step, v);
  }
  for (const [name, pts] of raw) {
    const out = series.get(name) ?? [];
    for (let i = 0; i < pts.length; i++) {
      if ((i + 1) % E !== 0 && i !== pts.length - 1) continue;
      const w = pts.slice(Math.max(0, i - W + 1), i + 1);
      out.push([pts[i][0], Number((w.reduce((a, p) => a + p[1], 0) / w.length).toFixed(4))]);
    }
    series.set(name, out);
  }
  const kept = E > 1 ? `, every ${E}th point of a series` : '';
  sources.push(`${path}: steps ${offset + 1}..${offset + steps.at(-1).step} (moving average of ${W}${kept})`);
  offset += steps.at(-1).step;
}
console.log(
  JSON.stringify({
    source: sources.join('; then '),
    steps: offset,
    series: [...series].map(([name, points]) => ({ name, points })),
  }),
);
