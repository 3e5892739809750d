// Checkpoints: save + load restores the model exactly, and resuming training from a checkpoint (weights,
// optimiser moments and step) gives the same losses as never stopping.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GPT, GPT_PRESETS } from '../../src/model/index.js';
import { AdamW, loadCheckpoint, Rng, readCheckpointHeader, saveCheckpoint, tidy } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-ckpt-'));

function batch(seed: number) {
  const rng = new Rng(seed);
  const ids = new Int32Array(2 * 16).map(() => rng.int(16));
  const targets = new Int32Array(2 * 16).map(() => rng.int(16));
  return { ids, targets };
}

function step(model: GPT, opt: AdamW, s: number): number {
  const { ids, targets } = batch(s);
  return tidy(() => {
    model.params.zeroGrad();
    const l = model.loss(ids, targets, 2, 16);
    l.backward();
    opt.update();
    return l.item();
  });
}

test('resume from a checkpoint reproduces the uninterrupted losses exactly', () => {
  const a = new GPT(GPT_PRESETS.tiny);
  const oa = new AdamW(a.params, { lr: 1e-2 });
  const straight = Array.from({ length: 8 }, (_, s) => step(a, oa, s));

  const b = new GPT(GPT_PRESETS.tiny);
  const ob = new AdamW(b.params, { lr: 1e-2 });
  const first = Array.from({ length: 4 }, (_, s) => step(b, ob, s));
  const path = join(dir, 'run');
  saveCheckpoint(path, { kind: 'gpt', config: b.config, params: b.params, optimizer: ob, state: { step: 4 } });

  const c = new GPT({ ...GPT_PRESETS.tiny, seed: 123 }); // different init: everything must come from disk
  const oc = new AdamW(c.params, { lr: 1e-2 });
  const { state } = loadCheckpoint(path, { kind: 'gpt', params: c.params, optimizer: oc });
  assert.deepEqual(state, { step: 4 });
  const rest = Array.from({ length: 4 }, (_, s) => step(c, oc, s + 4));
  assert.deepEqual([...first, ...rest], straight);
});

test('a damaged checkpoint is refused with a hint', () => {
  const m = new GPT(GPT_PRESETS.tiny);
  const path = join(dir, 'bad');
  saveCheckpoint(path, { kind: 'gpt', config: m.config, params: m.params });
  assert.throws(
    () => loadCheckpoint(path, { kind: 'vqvae', params: m.params }),
    /holds a "gpt" model, expected "vqvae"/,
  );
  writeFileSync(
    join(path, 'config.json'),
    '{"format": "tessera-checkpoint", "version": 99, "kind": "gpt", "config": {}}',
  );
  assert.throws(() => readCheckpointHeader(path), /checkpoint version 99/);
  writeFileSync(join(path, 'config.json'), '{"format": ');
  assert.throws(() => readCheckpointHeader(path), /not valid JSON.*HINT/);
  assert.throws(() => readCheckpointHeader(join(dir, 'missing')), /config.json not found/);
  const other = new GPT({ ...GPT_PRESETS.tiny, nEmbd: 16 });
  saveCheckpoint(path, { kind: 'gpt', config: other.config, params: other.params });
  assert.throws(
    () => loadCheckpoint(path, { kind: 'gpt', params: m.params }),
    /wte has shape \[16, 16\], the model expects \[16, 32\]/,
  );
});
