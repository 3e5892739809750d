// Golden values from PyTorch (llm.c style): the tiny GPT from the same weights and batch gives PyTorch's
// logits, loss and every gradient, and the same 10 losses under AdamW with decay and clipping, on every
// backend. The fixtures (test/fixtures/golden-gpt-*.safetensors) come from `npm run golden` (bench/golden.ts
// writes the weights, test/fixtures/golden_gpt.py computes the reference with PyTorch), so this test needs
// no PyTorch to run. The weights are 10x the init scale so every nonlinearity shows; both backends agree
// with PyTorch to ~6e-7 of each tensor's largest value, and the tolerance is 5e-6: perturbing one kernel
// (GELU's cubic constant 0.044715 -> 0.0447, in the TypeScript kernels) makes it fail.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { GPT, type GPTConfig } from '../../src/model/index.js';
import {
  AdamW,
  clipGradNorm,
  kernels,
  packageRoot,
  readSafetensors,
  tidy,
  useKernels,
} from '../../src/tensor/index.js';
import { backends } from '../helpers/backends.js';

const dir = join(packageRoot(), 'test', 'fixtures');
const init = readSafetensors(join(dir, 'golden-gpt-init.safetensors'));
const ref = readSafetensors(join(dir, 'golden-gpt-torch.safetensors'));
const meta = init.metadata;
const cfg = JSON.parse(meta.config) as GPTConfig;
const B = Number(meta.B);
const T = Number(meta.T);
const ids = init.tensors.get('ids')!.data as Int32Array;
const targets = init.tensors.get('targets')!.data as Int32Array;
const refF32 = (name: string) => ref.tensors.get(name)!.data as Float32Array;

function loadInit(model: GPT): void {
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const name of model.params.map.keys()) {
    const t = init.tensors.get(name)!;
    values.set(name, { shape: t.shape, data: t.data as Float32Array });
  }
  model.params.load(values, 'golden-gpt-init.safetensors');
}

/** max |a - b| <= atol + rtol * max |b|, with the worst index in the message. */
function close(what: string, a: Float32Array, b: Float32Array, atol: number, rtol: number): void {
  assert.equal(a.length, b.length, `${what}: ${a.length} values vs ${b.length}`);
  let scale = 0;
  for (const x of b) scale = Math.max(scale, Math.abs(x));
  let worst = 0;
  let at = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(
    worst <= atol + rtol * scale,
    `${what}: |diff| ${worst.toExponential(2)} at ${at} (${a[at]} vs ${b[at]}), allowed ${(atol + rtol * scale).toExponential(2)}`,
  );
}

for (const { name, kernels: k } of backends())
  test(`golden (${name}): PyTorch's logits, loss, every gradient and 10 AdamW losses`, () => {
    const before = kernels();
    useKernels(k);
    try {
      const model = new GPT(cfg);
      loadInit(model);
      tidy(() => {
        model.params.zeroGrad();
        const logits = model.forward(ids, B, T);
        close('logits', logits.data, refF32('logits'), 0, 5e-6);
        const loss = model.loss(ids, targets, B, T);
        close('loss', loss.data, refF32('loss'), 0, 1e-6);
        loss.backward();
        for (const [pname, t] of model.params.map) close(`grad ${pname}`, t.grad!, refF32(`grad.${pname}`), 0, 5e-6);
      });
      const m2 = new GPT(cfg);
      loadInit(m2);
      const opt = new AdamW(m2.params, {
        lr: Number(meta.lr),
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        weightDecay: Number(meta.weightDecay),
      });
      const losses = new Float32Array(Number(meta.steps));
      for (let s = 0; s < losses.length; s++)
        losses[s] = tidy(() => {
          m2.params.zeroGrad();
          const l = m2.loss(ids, targets, B, T);
          l.backward();
          clipGradNorm(m2.params, 1);
          opt.update();
          return l.item();
        });
      close('10 step losses', losses, refF32('losses'), 0, 5e-6);
    } finally {
      useKernels(before);
    }
  });
