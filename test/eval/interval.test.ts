// 95% intervals: Wilson score intervals for rates (known values), the normal approximation for means, and
// Newcombe's interval for a difference of two rates on the same items (its properties and its coverage).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanInterval, pairedDifference, wilson } from '../../src/eval/index.js';
import { Rng } from '../../src/tensor/index.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);

test('Wilson: 0 of 10, 5 of 10, 10 of 10 and 50 of 100 match the textbook values', () => {
  const cases: [number, number, number, number][] = [
    [0, 10, 0, 0.2775],
    [5, 10, 0.2366, 0.7634],
    [10, 10, 0.7225, 1],
    [50, 100, 0.4038, 0.5962],
  ];
  for (const [k, n, lo, hi] of cases) {
    const ci = wilson(k, n);
    assert.ok(ci);
    close(ci[0], lo, `${k}/${n} lo`);
    close(ci[1], hi, `${k}/${n} hi`);
  }
  assert.equal(wilson(0, 0), null);
});

test('Wilson narrows as n grows: 0.5 at n = 20 is wider than at n = 100', () => {
  const a = wilson(10, 20)!;
  const b = wilson(50, 100)!;
  assert.ok(a[1] - a[0] > b[1] - b[0]);
});

test('mean interval: +-1.96 standard errors, clipped to [0, 1]; zero width for constant values', () => {
  const vals = [0.2, 0.4, 0.6, 0.8];
  const s = { n: 4, sum: 2, sumSq: vals.reduce((a, v) => a + v * v, 0) };
  const sd = Math.sqrt(((0.09 + 0.01 + 0.01 + 0.09) / 3) * 1);
  const ci = meanInterval(s)!;
  close(ci[0], 0.5 - (1.959964 * sd) / 2, 'lo');
  close(ci[1], 0.5 + (1.959964 * sd) / 2, 'hi');
  assert.deepEqual(meanInterval({ n: 3, sum: 3, sumSq: 3 }), [1, 1]);
  assert.equal(meanInterval({ n: 0, sum: 0, sumSq: 0 }), null);
});

/** Two 0/1 lists from a table of pairs: both right, a only, b only, neither. */
function pairs(both: number, onlyA: number, onlyB: number, neither: number): [number[], number[]] {
  const rows = [
    ...Array(both).fill([1, 1]),
    ...Array(onlyA).fill([1, 0]),
    ...Array(onlyB).fill([0, 1]),
    ...Array(neither).fill([0, 0]),
  ] as [number, number][];
  return [rows.map((r) => r[0]), rows.map((r) => r[1])];
}

test('paired difference: the rate difference, antisymmetric, and refused on unequal or non-0/1 lists', () => {
  const d = pairedDifference(...pairs(36, 12, 2, 0))!;
  close(d.diff, 0.2, 'diff');
  assert.equal(d.n, 50);
  assert.deepEqual([d.onlyA, d.onlyB], [12, 2]);
  assert.ok(d.lo > 0 && d.lo < d.diff && d.hi > d.diff);
  const r = pairedDifference(...pairs(36, 2, 12, 0))!;
  close(r.diff, -0.2, 'reversed diff');
  close(r.lo, -d.hi, 'reversed lo');
  close(r.hi, -d.lo, 'reversed hi');
  assert.equal(pairedDifference([], []), null);
  assert.throws(() => pairedDifference([1, 0], [1]), /2 judgements against 1/);
  assert.throws(() => pairedDifference([0.5], [1]), /item 0 is judged 0.5 and 1/);
});

test('paired difference: with uncorrelated pairs it is the square-and-add of the two Wilson intervals', () => {
  // both * neither - onlyA * onlyB = 0 here, so the correlation term is 0.
  const [a, b] = pairs(10, 10, 10, 10);
  const d = pairedDifference(a, b)!;
  const w = wilson(20, 40)!;
  close(d.lo, -Math.hypot(0.5 - w[0], w[1] - 0.5), 'lo');
  close(d.hi, Math.hypot(w[1] - 0.5, 0.5 - w[0]), 'hi');
});

test('paired difference: two methods that fail on the same items differ surely where separate intervals overlap', () => {
  // 100 items: a right on 30, b on 20, every item b gets right a gets right too.
  const d = pairedDifference(...pairs(20, 10, 0, 70))!;
  const wa = wilson(30, 100)!;
  const wb = wilson(20, 100)!;
  assert.ok(wa[0] < wb[1], 'the separate intervals overlap');
  assert.ok(d.lo > 0, `the paired interval [${d.lo}, ${d.hi}] is above 0`);
});

test('paired difference: the 95% interval covers the true difference about 95% of the time', () => {
  const rng = new Rng(7);
  // Joint probabilities of (a right, b right): both, a only, b only, neither.
  const tables: [number, number, number, number][] = [
    [0.2, 0.15, 0.05, 0.6],
    [0.1, 0.1, 0.1, 0.7],
    [0.45, 0.05, 0.2, 0.3],
  ];
  for (const p of tables) {
    let covered = 0;
    const runs = 2000;
    for (let r = 0; r < runs; r++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 100; i++) {
        const u = rng.next();
        const cell = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : u < p[0] + p[1] + p[2] ? 2 : 3;
        a.push(cell <= 1 ? 1 : 0);
        b.push(cell === 0 || cell === 2 ? 1 : 0);
      }
      const d = pairedDifference(a, b)!;
      if (d.lo <= p[1] - p[2] && p[1] - p[2] <= d.hi) covered++;
    }
    const share = covered / runs;
    assert.ok(share > 0.93 && share < 0.98, `table ${p.join('/')}: covered ${share}`);
  }
});
