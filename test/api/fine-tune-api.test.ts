// Tessera#fineTune: the high-level call trains through train's fineTune from the object's own folder and
// returns the fine-tuned model, whose loss on the user's data is below the base's (a tiny base model and a
// few emoji as the user's manifest, seconds).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tessera } from '../../src/api.js';
import { writeEmojiManifest } from '../../src/data/index.js';
import { loadOwnData, runTraining, scoreItems, trainConfig } from '../../src/train/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-api-ft-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('fineTune returns a model that fits the own data better, and leaves the base as it was', () => {
  const world = { caption: 1, vqa: 1, t2i: 2, edit: 1 };
  runTraining({
    out: join(dir, 'base'),
    config: trainConfig({ steps: 40, batchSize: 4, evalN: 0, mixture: world }, 'tiny'),
    quiet: true,
  });
  const manifest = writeEmojiManifest(join(dir, 'own'), 8, 0, 3).path;
  const base = Tessera.fromPretrained(join(dir, 'base', 'checkpoint'));
  const own = loadOwnData(manifest);
  const before = scoreItems(base.engine.model, base.engine.tok, own.train).loss!;
  const tuned = base.fineTune(manifest, {
    out: join(dir, 'ft'),
    steps: 12,
    preset: 'tiny',
    overrides: { batchSize: 4, evalN: 0, lr: 1e-3, warmup: 2, mixture: world },
    quiet: true,
  });
  const after = scoreItems(tuned.engine.model, tuned.engine.tok, own.train).loss!;
  assert.ok(after < before, `own-data loss ${after} should be below the base's ${before}`);
  assert.equal(scoreItems(base.engine.model, base.engine.tok, own.train).loss, before, 'the base is unchanged');
});
