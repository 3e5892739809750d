// `npm run golden`: (re)writes the golden fixtures of test/model/golden.test.ts. tessera writes the tiny
// GPT's initial weights and a batch (test/fixtures/golden-gpt-init.safetensors); PyTorch computes the
// logits, the loss, every gradient and 10 AdamW steps from them (test/fixtures/golden_gpt.py ->
// golden-gpt-torch.safetensors). Both files are committed; the test compares both backends to them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GPT, GPT_PRESETS } from '../src/model/index.js';
import { type NamedTensor, packageRoot, Rng, writeSafetensors } from '../src/tensor/index.js';

export const GOLDEN = { B: 2, T: 12, lr: 1e-2, weightDecay: 0.1, steps: 10 };

const dir = join(packageRoot(), 'test', 'fixtures');
const cfg = GPT_PRESETS.tiny;
const model = new GPT(cfg);
const rng = new Rng(7);
const n = GOLDEN.B * GOLDEN.T;
const ids = new Int32Array(n).map(() => rng.int(cfg.vocabSize));
// some positions without a target, as in training
const targets = new Int32Array(n).map((_, i) => (i % 5 === 4 ? -1 : rng.int(cfg.vocabSize)));
// Weights 10x the init scale (std 0.2, and LayerNorm gains and biases spread around theirs): activations
// of order 1, so every nonlinearity (GELU's cubic term, softmax, LayerNorm) shows in the outputs.
const tensors = new Map<string, NamedTensor>();
for (const [name, t] of model.params.map) {
  const data = Float32Array.from(t.data, (x) => (t.shape.length >= 2 ? 10 * x : x + 0.3 * rng.normal()));
  tensors.set(name, { shape: t.shape, data });
}
tensors.set('ids', { shape: [n], data: ids });
tensors.set('targets', { shape: [n], data: targets });
const init = join(dir, 'golden-gpt-init.safetensors');
writeSafetensors(init, tensors, {
  config: JSON.stringify(cfg),
  order: JSON.stringify([...model.params.map.keys()]),
  B: String(GOLDEN.B),
  T: String(GOLDEN.T),
  lr: String(GOLDEN.lr),
  weightDecay: String(GOLDEN.weightDecay),
  steps: String(GOLDEN.steps),
});
const out = join(dir, 'golden-gpt-torch.safetensors');
console.log(execFileSync('/usr/bin/python3', [join(dir, 'golden_gpt.py'), init, out], { encoding: 'utf8' }).trim());
