// Exact resume: a run interrupted after its checkpoint and resumed computes exactly the losses of the
// uninterrupted run (weights, optimizer moments, RNG states, data cursors and step all restored).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTraining, trainConfig } from '../../src/train/index.js';

// (with codeResidualDrop: its flags come from (seed, step), so the resumed steps draw the same ones)
const config = trainConfig(
  {
    steps: 6,
    ckptEvery: 3,
    batchSize: 2,
    evalN: 0,
    codeResidualDrop: 0.3,
    mixture: { caption: 1, t2i: 1, edit: 1, emoji_caption: 0.3 },
  },
  'tiny',
);

test('interrupted after the step-3 checkpoint and resumed: the same 6 losses as one run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-resume-'));
  try {
    const full = runTraining({ out: join(dir, 'a'), config, quiet: true });
    assert.equal(full.losses.length, 6);
    const first = runTraining({ out: join(dir, 'b'), config, quiet: true, stopAfter: 4 }); // dies after step 4
    assert.equal(first.trainer.step, 4);
    const rest = runTraining({ out: join(dir, 'b'), resume: join(dir, 'b'), quiet: true }); // from step 3
    assert.deepEqual([...first.losses.slice(0, 3), ...rest.losses], full.losses);
    const log = readFileSync(join(dir, 'b', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      log.map((r) => r.step),
      [1, 2, 3, 4, 5, 6],
      'the log holds each step once after resume',
    );
    assert.ok(existsSync(join(dir, 'b', 'curves.svg')));
    for (const f of [
      'weights.safetensors',
      'config.json',
      'optimizer.safetensors',
      'state.json',
      'tokenizer.json',
      'image-tokenizer.json',
    ])
      assert.ok(existsSync(join(dir, 'b', 'checkpoint', f)), f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('length-bucketed batches under a token budget: a resumed run repeats the losses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-resume-'));
  try {
    const bucketed = trainConfig({ ...config, batchTokens: 512 }, 'tiny');
    const full = runTraining({ out: join(dir, 'a'), config: bucketed, quiet: true });
    assert.equal(full.losses.length, 6);
    const first = runTraining({ out: join(dir, 'b'), config: bucketed, quiet: true, stopAfter: 5 });
    const rest = runTraining({ out: join(dir, 'b'), resume: join(dir, 'b'), quiet: true }); // mid-pool, step 3
    assert.deepEqual([...first.losses.slice(0, 3), ...rest.losses], full.losses);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
