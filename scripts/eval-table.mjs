#!/usr/bin/env node
// Markdown tables of `tessera eval --json` results side by side (the README's and docs/model.md's model
// tables): one row per metric, one column per result, each cell "value [lo, hi] (n)".
//   node scripts/eval-table.mjs LABEL=FILE [LABEL=FILE ...] [--metrics a,b,c]
// FILE is the saved output of `tessera eval --json` (its last line is the JSON object) or an eval.json
// (models/NAME/eval.json: LABEL=FILE#heldout or #train picks the split).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const mi = args.indexOf('--metrics');
const only = mi >= 0 ? args.splice(mi, 2)[1].split(',') : null;
if (args.length === 0)
  throw new Error('usage: node scripts/eval-table.mjs LABEL=FILE [LABEL=FILE ...] [--metrics a,b]');
const cols = args.map((a) => {
  const i = a.indexOf('=');
  if (i <= 0) throw new Error(`expected LABEL=FILE, got ${a}`);
  const [file, split] = a.slice(i + 1).split('#');
  const text = readFileSync(file, 'utf8').trim();
  let rows = JSON.parse(text.startsWith('{\n') || !text.includes('\n') ? text : text.split('\n').at(-1));
  if (split) rows = rows[split];
  return { label: a.slice(0, i), rows };
});
const keys = only ?? Object.keys(cols[0].rows).filter((k) => cols.some((c) => (c.rows[k]?.n ?? 0) > 0));
const f = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const cell = (r) =>
  !r || r.n === 0 || r.value === null ? 'n/a' : `${f(r.value)} [${r.lo.toFixed(2)}, ${r.hi.toFixed(2)}] (${r.n})`;
console.log(`| metric | ${cols.map((c) => c.label).join(' | ')} |`);
console.log(`|---|${cols.map(() => '---').join('|')}|`);
for (const k of keys) console.log(`| ${k} | ${cols.map((c) => cell(c.rows[k])).join(' | ')} |`);
