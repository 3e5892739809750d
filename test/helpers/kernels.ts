// Shared by the kernel agreement tests (test/tensor/kernels*.test.ts): the backends, seeded random data,
// and the element-by-element comparison.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsKernels } from '../../src/tensor/kernels/js.js';
import { loadNativeKernels } from '../../src/tensor/kernels/native.js';
import type { F32, Kernels } from '../../src/tensor/kernels/types.js';

export const loaded = loadNativeKernels();
export const mustLoad = process.env.TESSERA_BACKEND === 'native';
export const js = jsKernels;

// Runs fn with the native kernels; skips visibly (or fails under TESSERA_BACKEND=native) without them.
export function nativeTest(name: string, fn: (nk: Kernels) => void): void {
  test(name, (t) => {
    const nk = loaded.kernels;
    if (nk === null) {
      if (mustLoad) assert.fail(`TESSERA_BACKEND=native but the native addon is unusable: ${loaded.reason}`);
      t.skip(`native addon unavailable: ${loaded.reason}`);
      return;
    }
    fn(nk);
  });
}

// ---- seeded random data -------------------------------------------------------------------------------

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let current = rng(12345);

/** The seeded stream the helpers draw from; reseed(n) starts it again. */
export function rand(): number {
  return current();
}

export function reseed(seed: number): void {
  current = rng(seed);
}

export function randn(): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function randomF32(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = randn() * scale;
  return a;
}

export function randInt(n: number): number {
  return Math.floor(rand() * n);
}

export const copy = (a: F32): Float32Array => new Float32Array(a);

// Fails naming the kernel, the index and the values when |a - e| > abs + rel * |e| anywhere.
export function close(what: string, actual: F32, expected: F32, abs = 1e-4, rel = 1e-3): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let worst = -1;
  let worstExcess = 0;
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) && Number.isNaN(e)) continue;
      assert.fail(`${what}: index ${i}: native ${a} vs js ${e}`);
    }
    const d = Math.abs(a - e);
    maxDiff = Math.max(maxDiff, d);
    const excess = d - (abs + rel * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0)
    assert.fail(
      `${what}: index ${worst}: native ${actual[worst]} vs js ${expected[worst]} (max abs diff ${maxDiff}, tolerance ${abs} + ${rel}*|js|)`,
    );
}
