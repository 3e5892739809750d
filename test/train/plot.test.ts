// The loss plot's log axis (src/train/plot.ts): decades equally spaced, tick labels, values <= 0 left out,
// and the shipped run's curves (models/tessera-default/train-curves.json) filling most of the height.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/tensor/index.js';
import { type CurveSeries, linearTicks, logAxis, PLOT_FRAME, plotSeries, tickLabel } from '../../src/train/index.js';

/** The y px of each labelled tick and the y values of every polyline point in an SVG. */
function parseSvg(svg: string) {
  const ticks = [...svg.matchAll(/class="ytick" data-value="([^"]+)" x1="[^"]+" y1="([^"]+)"/g)].map((m) => ({
    value: Number(m[1]),
    y: Number(m[2]),
  }));
  const labels = [...svg.matchAll(/class="ylabel"[^>]*>([^<]+)</g)].map((m) => m[1]);
  const ys = [...svg.matchAll(/class="curve"[^>]* points="([^"]+)"/g)].flatMap((m) =>
    m[1].split(' ').map((p) => Number(p.split(',')[1])),
  );
  return { ticks, labels, ys };
}

test('decades are equally spaced, and each factor of 10 is the same distance', () => {
  const a = logAxis(0.02, 50);
  const decades = a.ticks.filter((t) => t.major).map((t) => t.value);
  assert.deepEqual(decades, [0.1, 1, 10]);
  const gaps = decades.slice(1).map((v, i) => a.frac(v) - a.frac(decades[i]));
  for (const g of gaps) assert.ok(Math.abs(g - gaps[0]) < 1e-12, `decade gaps ${gaps}`);
  assert.ok(Math.abs(a.frac(0.5) - a.frac(0.05) - gaps[0]) < 1e-12, '0.05 -> 0.5 is one decade too');
  // the data range sits inside the axis, near its ends
  assert.ok(a.frac(0.02) > 0 && a.frac(0.02) < 0.05 && a.frac(50) < 1 && a.frac(50) > 0.95);
});

test('tick labels: decades labelled as short numbers, minor ticks unlabelled unless under two decades', () => {
  assert.deepEqual(
    logAxis(0.02, 50)
      .ticks.filter((t) => t.label)
      .map((t) => t.label),
    ['0.1', '1', '10'],
  );
  const minors = logAxis(0.02, 50).ticks.filter((t) => !t.major);
  assert.ok(minors.some((t) => t.value === 0.02) && minors.some((t) => t.value === 50));
  assert.ok(minors.every((t) => t.label === ''));
  // 2.5 .. 7: no decade inside, so the minor ticks carry the labels
  assert.deepEqual(
    logAxis(2.5, 7)
      .ticks.filter((t) => t.label)
      .map((t) => t.label),
    ['3', '4', '5', '6', '7'],
  );
  assert.deepEqual([0.001, 0.01, 1, 100, 1e-5, 1e6].map(tickLabel), ['0.001', '0.01', '1', '100', '1e-5', '1e6']);
  assert.throws(() => logAxis(0, 1), /positive and finite, got 0\.\.1/);
  assert.deepEqual(linearTicks(9037), [0, 2000, 4000, 6000, 8000]);
});

test('the SVG puts the tick at value v where the axis maps it; values <= 0 are left out and counted', () => {
  const series: CurveSeries[] = [
    {
      name: 'loss',
      points: [
        [0, 5],
        [10, 0],
        [20, 0.5],
        [30, -1],
        [40, 0.05],
      ],
    },
  ];
  const svg = plotSeries(series);
  const { ticks, labels, ys } = parseSvg(svg);
  const one = ticks.find((t) => t.value === 1)!;
  const tenth = ticks.find((t) => t.value === 0.1)!;
  const ten = ticks.find((t) => t.value === 10);
  assert.equal(ten, undefined, 'the axis ends near the data (5), below 10');
  assert.deepEqual(labels, ['0.1', '1']);
  assert.ok(one.y < tenth.y, 'larger losses are higher up');
  // three polylines (the zero and the negative value break the line), three points in all
  assert.equal((svg.match(/class="curve"/g) ?? []).length, 3);
  assert.equal(ys.length, 3);
  const [y5, y05, y005] = ys;
  assert.ok(Math.abs(y05 - y5 - (y005 - y05)) < 0.15, 'each decade down is the same number of px');
  assert.match(svg, /2 values &lt;= 0 not drawn/);
});

test('the shipped curves span most of the plot height (the linear plot used its bottom 10 px)', () => {
  const curves = JSON.parse(
    readFileSync(join(packageRoot(), 'models', 'tessera-default', 'train-curves.json'), 'utf8'),
  ) as { series: CurveSeries[] };
  const { ys, labels } = parseSvg(plotSeries(curves.series));
  const height = PLOT_FRAME.bottom - PLOT_FRAME.top;
  // reduce, not Math.max(...v): the shipped curves hold more points than a call may take arguments
  const most = (v: number[]) => v.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY);
  const least = (v: number[]) => v.reduce((m, x) => Math.min(m, x), Number.POSITIVE_INFINITY);
  const span = (v: number[]) => (most(v) - least(v)) / height;
  assert.ok(span(ys) > 0.9, `all curves span ${span(ys)} of the height`);
  const loss = parseSvg(plotSeries(curves.series.filter((s) => s.name === 'loss'))).ys;
  assert.ok(span(loss) > 0.5, `the total loss alone spans ${span(loss)} of the height`);
  // every decade between the smallest and the largest loss is labelled, and no decade beyond them
  const values = curves.series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  const decades = (v: number) => Math.log10(v);
  const lo = Math.ceil(decades(least(values)));
  const hi = Math.floor(decades(most(values)));
  assert.deepEqual(
    labels,
    Array.from({ length: hi - lo + 1 }, (_, i) => String(10 ** (lo + i))),
  );
});
