#!/usr/bin/env node
// Draws docs/images/train-curves.svg from models/tessera-default/train-curves.json (the shipped run's
// curves, recovered from the first, linear-axis plot by scripts/recover-curves.mjs; the format is
// {source, steps, series: [{name, points: [[step, loss], ...]}]}) with src/train/plot.ts plotSeries, the
// log-axis plot that `tessera train` writes as curves.svg. The points are already the moving average of
// 10 that the first plot drew, so they are drawn as they are. Needs the build (npx tsc -p tsconfig.json).
//   node scripts/plot-curves.mjs [curves.json] [out.svg]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const inPath = process.argv[2] ?? join(root, 'models/tessera-default/train-curves.json');
const outPath = process.argv[3] ?? join(root, 'docs/images/train-curves.svg');
const train = join(root, 'dist/src/train/index.js');
if (!existsSync(train))
  throw new Error(`${relative(root, train)} not found; HINT: build first: npx tsc -p tsconfig.json`);
const { plotSeries } = await import(pathToFileURL(train).href);

const curves = JSON.parse(readFileSync(inPath, 'utf8'));
if (!Array.isArray(curves.series)) throw new Error(`${inPath}: no "series" array; is this a train-curves.json?`);
curves.series.forEach((s, i) => {
  if (typeof s.name !== 'string' || !Array.isArray(s.points))
    throw new Error(`${inPath}: series[${i}] needs a string "name" and a "points" array of [step, loss]`);
});
writeFileSync(outPath, `${plotSeries(curves.series, { title: 'training loss (tessera-default)' })}\n`);
console.log(`${relative(root, outPath)}: ${curves.series.length} series from ${relative(root, inPath)}`);
