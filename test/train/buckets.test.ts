// Length-bucketed batching: every batch stays within its token budget, every drawn item is used once, and
// short items share batches (the point of bucketing).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/tensor/index.js';
import { BucketBatcher, buildTokenizers, Mixture } from '../../src/train/index.js';

test('bucketed batches: within the budget, each pool item used once, short items many to a batch', () => {
  const tok = buildTokenizers(400, 1024, 1);
  const mixture = new Mixture({ fact: 1, vqa: 1, chain: 0.3 }, 3);
  const pool = 48;
  const batcher = new BucketBatcher(mixture, new Rng(5), tok, 384, 0.1, 768, pool);
  let rows = 0;
  let most = 0;
  const pad = tok.text.specialId('<|pad|>');
  while (rows < pool) {
    const b = batcher.next();
    assert.ok(b.B * b.T <= 768, `batch ${b.B}x${b.T} over budget`);
    for (let r = 0; r < b.B; r++) assert.notEqual(b.ids[r * b.T], pad, 'no empty row');
    rows += b.B;
    most = Math.max(most, b.B);
  }
  assert.equal(rows, pool, 'the pool is used up exactly before a new one is drawn');
  assert.ok(most >= 20, `text-only facts (~17 tokens) should come many to a batch, got at most ${most}`);
  assert.throws(() => new BucketBatcher(mixture, new Rng(1), tok, 384, 0.1, 100), /smaller than the block size/);
});
