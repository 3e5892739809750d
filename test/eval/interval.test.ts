// 95% intervals: Wilson score intervals for rates (known values), the normal approximation for means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanInterval, wilson } from '../../src/eval/index.js';

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
