// Shape mismatches and bad arguments fail with messages that name both shapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GPT, GPT_PRESETS, gptConfig } from '../../src/model/index.js';
import {
  add,
  causalAttention,
  conv2d,
  crossEntropy,
  embedding,
  layerNorm,
  linear,
  matmul,
  reshape,
  Tensor,
} from '../../src/tensor/index.js';

const t = (shape: number[]) => Tensor.zeros(shape);

test('shape errors name both shapes', () => {
  assert.throws(() => linear(t([2, 3]), t([4, 5]), null), /input has 3 features but weight is \[4, 5\]/);
  assert.throws(() => matmul(t([2, 3]), t([4, 5])), /inner dimensions differ: \[2, 3\] @ \[4, 5\]/);
  assert.throws(() => add(t([2, 3]), t([2])), /\[2\] does not broadcast onto \[2, 3\]/);
  assert.throws(() => layerNorm(t([2, 3]), t([4]), t([3])), /weight has shape \[4\], expected \[3\]/);
  assert.throws(() => reshape(t([2, 3]), [4, 2]), /cannot view \[2, 3\]/);
  assert.throws(() => conv2d(t([1, 2, 4, 4]), t([3, 5, 3, 3]), null), /input has 2 channels, weight expects 5/);
  assert.throws(() => causalAttention(t([1, 4, 10]), 2), /must be 3 \* heads/);
  assert.throws(() => crossEntropy(t([3, 4]), Int32Array.from([0, 1])), /2 targets for 3 rows/);
  assert.throws(() => crossEntropy(t([2, 4]), Int32Array.from([0, 9])), /target 9 at row 1 is outside the 4 classes/);
  assert.throws(
    () => embedding(t([4, 2]), Int32Array.from([0, 4])),
    /id 4 at position 1 is outside the table's 4 rows/,
  );
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /5 values but shape \[2, 3\] needs 6/);
});

test('config rejects unknown keys and inconsistent sizes', () => {
  assert.throws(() => gptConfig({ nEmbed: 3 } as never), /unknown key "nEmbed"/);
  assert.throws(() => gptConfig({ nEmbd: 30, nHead: 4 }), /not divisible/);
  const m = new GPT(GPT_PRESETS.tiny);
  assert.throws(() => m.forward(new Int32Array(20), 1, 20), /exceed blockSize 16/);
});
