// Kept checkpoints along a run (config.keepEvery) and the scaling table built from them: a tiny run keeps
// step-N copies that load and resume, the metrics log sums the items seen, and every checkpoint evaluated
// gives a table with a header row and an SVG on a log x axis.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { evaluateHeldout, findCheckpoints, formatScalingTable, scalingSvg } from '../../src/eval/index.js';
import { loadModel } from '../../src/model/index.js';
import { runTraining, trainConfig } from '../../src/train/index.js';

test('keepEvery 2 over 5 steps keeps step-2, step-4 and step-5; the scaling table evaluates each', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-keep-'));
  try {
    const config = trainConfig(
      { steps: 5, ckptEvery: 0, keepEvery: 2, batchSize: 2, evalN: 0, mixture: { caption: 1, t2i: 1 } },
      'tiny',
    );
    const out = join(dir, 'run');
    const r = runTraining({ out, config, quiet: true });
    for (const s of [2, 4, 5]) assert.ok(existsSync(join(out, 'checkpoints', `step-${s}`, 'weights.safetensors')));
    assert.ok(!existsSync(join(out, 'checkpoints', 'step-3')));
    const cks = findCheckpoints(out);
    assert.deepEqual(
      cks.map((c) => c.step),
      [2, 4, 5],
      'the latest checkpoint (step 5) counted once',
    );
    assert.deepEqual(
      cks.map((c) => c.items),
      [4, 8, 10],
      'items seen: 2 a step',
    );
    assert.ok(r.trainer.step === 5);
    const points = cks.map((checkpoint) => {
      const { model, tok } = loadModel(checkpoint.dir);
      return { checkpoint, result: evaluateHeldout(model, tok, { tasks: ['t2i'], n: 1, factorN: 0 }) };
    });
    const table = formatScalingTable(points).split('\n');
    assert.match(table[0], /^metric\s+\S+ items seen 4\s+\S+ items seen 8\s+\S+ items seen 10$/);
    assert.ok(table.some((l) => l.startsWith('t2i_acc ')));
    const svg = scalingSvg(points);
    assert.match(svg, /^<svg /);
    assert.match(svg, /items seen \(log scale\)/);
    assert.match(svg, />t2i_acc</);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder without checkpoints is refused with a hint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-keep-'));
  try {
    assert.throws(() => findCheckpoints(dir), /no checkpoints.*HINT: train with --keep-checkpoints/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keepEvery is validated like the other integer keys', () => {
  assert.throws(() => trainConfig({ keepEvery: -1 }), /keepEvery must be an integer >= 0/);
});
