// Training from a token cache: the cache holds exactly what the sequence builder makes (2-D positions are
// derived back from the ids), the run streams it across epochs, and an interrupted run resumes exactly.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWorldItem } from '../../src/data/index.js';
import { buildSequence } from '../../src/model/index.js';
import { CacheSource, positions2d, runTraining, trainConfig, writeTaskCache } from '../../src/train/index.js';
import { testTokenizers } from '../helpers/model.js';

const tok = testTokenizers();

test('a cache stores the builder output; positions come back from the ids; epochs cycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tcache-'));
  try {
    const items = [
      makeWorldItem('t2i', 'train', 3, 0),
      makeWorldItem('edit', 'train', 3, 1),
      makeWorldItem('vqa', 'train', 3, 2),
    ];
    const path = join(dir, 'c.tcache');
    writeTaskCache(path, items, tok, 0, 1);
    const src = new CacheSource(path, tok, 5);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const s = src.next();
      const want = items
        .map((it) => buildSequence(it, tok))
        .find((b) => b.ids.length === s.ids.length && b.ids.every((v, j) => v === s.ids[j]));
      assert.ok(want, 'every cached sequence is one the builder made');
      assert.deepEqual([...s.produced], [...want.produced]);
      assert.deepEqual([...s.pos2d], [...want.pos2d]);
      assert.deepEqual([...positions2d(want.ids, tok)], [...want.pos2d]);
      seen.add(s.ids.join(','));
    }
    assert.equal(seen.size, 3, 'one epoch visits every sequence once');
    src.next();
    assert.equal(src.cursor.epoch, 1);
    writeFileSync(join(dir, 'bad.tcache'), 'TSRA garbage');
    assert.throws(() => new CacheSource(join(dir, 'bad.tcache'), tok, 0), /bad\.tcache/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run streaming a cache, interrupted and resumed, gives the losses of one run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tcache-run-'));
  try {
    const config = trainConfig(
      { steps: 6, ckptEvery: 3, batchSize: 2, evalN: 0, mixture: { caption: 1, t2i: 1 } },
      'tiny',
    );
    const cache = join(dir, 'mix.tcache');
    const full = runTraining({ out: join(dir, 'a'), config, quiet: true, cache, cacheItems: 5 });
    const first = runTraining({ out: join(dir, 'b'), config, quiet: true, cache, stopAfter: 4 });
    const rest = runTraining({ out: join(dir, 'b'), resume: join(dir, 'b'), quiet: true });
    assert.deepEqual([...first.losses.slice(0, 3), ...rest.losses], full.losses);
    assert.ok(full.losses.every(Number.isFinite));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
