// Native kernels against the TypeScript reference: every kernel on random seeded inputs, run on identical
// copies, compared element by element. Backward kernels get pre-filled gradients to check they accumulate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { close, copy, js, loaded, mustLoad, nativeTest, randInt, randomF32, reseed } from '../helpers/kernels.js';

// ---- tests ----------------------------------------------------------------------------------------------

test('native addon loads (or the reason is reported)', (t) => {
  if (loaded.kernels === null) {
    if (mustLoad) assert.fail(`TESSERA_BACKEND=native but the native addon is unusable: ${loaded.reason}`);
    t.skip(`native addon unavailable, native kernel tests skipped: ${loaded.reason}`);
    return;
  }
  const info = loaded.kernels.info();
  assert.equal(info.backend, 'native');
  assert.ok(info.blas.length > 0, 'blas name is empty');
  assert.ok(Number.isInteger(info.threads) && info.threads >= 1, `threads = ${info.threads}`);
  t.diagnostic(`native kernels: ${info.blas}, ${info.threads} threads`);
});

nativeTest('gemm: all transposes, leading dims, offsets, batch strides, alpha, beta', (nk) => {
  reseed(1);
  const shapes: [number, number, number, number][] = [
    [5, 7, 9, 3],
    [1, 1, 1, 1],
    [64, 48, 33, 4],
    [37, 130, 70, 2],
    [300, 200, 100, 1], // large: rows split over the thread pool
    [40, 400, 50, 1], // large with N > M: columns split over the pool
    [4, 3000, 100, 1], // few rows, many columns: the streaming (skinny) kernel, columns split over the pool
    [8, 33, 517, 2], // few rows, K not a multiple of the vector width
  ];
  for (const [M, N, K, batch] of shapes)
    for (const transA of [false, true])
      for (const transB of [false, true])
        for (const [alpha, beta] of [
          [1, 0],
          [0.7, 1],
          [-1.3, 0.5],
        ]) {
          const rowsA = transA ? K : M;
          const colsA = transA ? M : K;
          const rowsB = transB ? N : K;
          const colsB = transB ? K : N;
          const lda = colsA + 3;
          const ldb = colsB + 1;
          const ldc = N + 2;
          const strideA = rowsA * lda + 5;
          const strideB = rowsB * ldb;
          const strideC = M * ldc + 7;
          const aOff = 2;
          const bOff = 3;
          const cOff = 4;
          const A = randomF32(aOff + batch * strideA);
          const B = randomF32(bOff + batch * strideB);
          const C0 = randomF32(cOff + batch * strideC);
          const Cj = copy(C0);
          const Cn = copy(C0);
          const args = [M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta] as const;
          js.gemm(transA, transB, ...args, Cj, cOff, ldc, strideC, batch);
          nk.gemm(transA, transB, ...args, Cn, cOff, ldc, strideC, batch);
          close(`gemm M${M} N${N} K${K} batch${batch} tA=${transA} tB=${transB} a=${alpha} b=${beta}`, Cn, Cj);
        }
  // K = 0: C = beta * C; shared A/B across the batch (stride 0)
  const C0 = randomF32(12);
  for (const beta of [0, 0.5]) {
    const Cj = copy(C0);
    const Cn = copy(C0);
    js.gemm(false, false, 3, 4, 0, 1, new Float32Array(0), 0, 0, 0, new Float32Array(0), 0, 4, 0, beta, Cj, 0, 4, 0, 1);
    nk.gemm(false, false, 3, 4, 0, 1, new Float32Array(0), 0, 0, 0, new Float32Array(0), 0, 4, 0, beta, Cn, 0, 4, 0, 1);
    close(`gemm K=0 beta=${beta}`, Cn, Cj);
  }
  const A = randomF32(6 * 8);
  const B = randomF32(3 * 8 * 5);
  const Cj = new Float32Array(3 * 6 * 5);
  const Cn = new Float32Array(3 * 6 * 5);
  js.gemm(false, false, 6, 5, 8, 1, A, 0, 8, 0, B, 0, 5, 40, 0, Cj, 0, 5, 30, 3);
  nk.gemm(false, false, 6, 5, 8, 1, A, 0, 8, 0, B, 0, 5, 40, 0, Cn, 0, 5, 30, 3);
  close('gemm strideA=0', Cn, Cj);
});

nativeTest('addBias and biasBackward', (nk) => {
  reseed(2);
  for (const [N, C] of [
    [37, 19],
    [700, 64],
    [3, 5000],
  ]) {
    const bias = randomF32(C);
    const out0 = randomF32(N * C);
    const oj = copy(out0);
    const on = copy(out0);
    js.addBias(oj, bias, N, C);
    nk.addBias(on, bias, N, C);
    close(`addBias ${N}x${C}`, on, oj);
    const dout = randomF32(N * C);
    const db0 = randomF32(C);
    const dbj = copy(db0);
    const dbn = copy(db0);
    js.biasBackward(dout, dbj, N, C);
    nk.biasBackward(dout, dbn, N, C);
    close(`biasBackward ${N}x${C}`, dbn, dbj);
  }
});

nativeTest('layerNorm forward and backward', (nk) => {
  reseed(3);
  for (const [N, C] of [
    [7, 13],
    [1000, 96],
    [64, 256],
  ]) {
    const x = randomF32(N * C, 2);
    for (let i = 0; i < N * C; i++) x[i] += 0.5;
    const w = randomF32(C);
    const b = randomF32(C);
    const outJ = new Float32Array(N * C);
    const outN = new Float32Array(N * C).fill(Number.NaN);
    const meanJ = new Float32Array(N);
    const meanN = new Float32Array(N);
    const rstdJ = new Float32Array(N);
    const rstdN = new Float32Array(N);
    js.layerNormForward(x, w, b, outJ, meanJ, rstdJ, N, C, 1e-5);
    nk.layerNormForward(x, w, b, outN, meanN, rstdN, N, C, 1e-5);
    close(`layerNormForward out ${N}x${C}`, outN, outJ);
    close(`layerNormForward mean ${N}x${C}`, meanN, meanJ);
    close(`layerNormForward rstd ${N}x${C}`, rstdN, rstdJ);
    const dout = randomF32(N * C);
    const dx0 = randomF32(N * C);
    const dw0 = randomF32(C);
    const db0 = randomF32(C);
    const [dxJ, dwJ, dbJ] = [copy(dx0), copy(dw0), copy(db0)];
    const [dxN, dwN, dbN] = [copy(dx0), copy(dw0), copy(db0)];
    js.layerNormBackward(dout, x, w, meanJ, rstdJ, dxJ, dwJ, dbJ, N, C);
    nk.layerNormBackward(dout, x, w, meanJ, rstdJ, dxN, dwN, dbN, N, C);
    close(`layerNormBackward dx ${N}x${C}`, dxN, dxJ);
    close(`layerNormBackward dw ${N}x${C}`, dwN, dwJ);
    close(`layerNormBackward db ${N}x${C}`, dbN, dbJ);
  }
});

nativeTest('rmsNorm forward and backward', (nk) => {
  reseed(4);
  for (const [N, C] of [
    [7, 13],
    [1000, 96],
  ]) {
    const x = randomF32(N * C, 2);
    const w = randomF32(C);
    const outJ = new Float32Array(N * C);
    const outN = new Float32Array(N * C);
    const rstdJ = new Float32Array(N);
    const rstdN = new Float32Array(N);
    js.rmsNormForward(x, w, outJ, rstdJ, N, C, 1e-6);
    nk.rmsNormForward(x, w, outN, rstdN, N, C, 1e-6);
    close(`rmsNormForward out ${N}x${C}`, outN, outJ);
    close(`rmsNormForward rstd ${N}x${C}`, rstdN, rstdJ);
    const dout = randomF32(N * C);
    const dx0 = randomF32(N * C);
    const dw0 = randomF32(C);
    const [dxJ, dwJ] = [copy(dx0), copy(dw0)];
    const [dxN, dwN] = [copy(dx0), copy(dw0)];
    js.rmsNormBackward(dout, x, w, rstdJ, dxJ, dwJ, N, C);
    nk.rmsNormBackward(dout, x, w, rstdJ, dxN, dwN, N, C);
    close(`rmsNormBackward dx ${N}x${C}`, dxN, dxJ);
    close(`rmsNormBackward dw ${N}x${C}`, dwN, dwJ);
  }
});

nativeTest('gelu and silu forward and backward', (nk) => {
  reseed(5);
  const n = 100003;
  const x = randomF32(n, 3);
  const extremes = [0, -0, 1e-8, -1e-8, 0.5, -0.5, 5, -5, 10, -10, 30, -30, 100, -100, 1e6, -1e6];
  x.set(extremes, 0);
  const dout = randomF32(n);
  const dx0 = randomF32(n);
  for (const [name, fwd, bwd] of [
    ['gelu', 'geluForward', 'geluBackward'],
    ['silu', 'siluForward', 'siluBackward'],
  ] as const) {
    const oj = new Float32Array(n);
    const on = new Float32Array(n);
    js[fwd](x, oj, n);
    nk[fwd](x, on, n);
    // tight: a fast approximation must stay within 1e-5 relative of the reference
    close(`${name}Forward`, on, oj, 1e-6, 1e-5);
    const dxJ = copy(dx0);
    const dxN = copy(dx0);
    js[bwd](x, dout, dxJ, n);
    nk[bwd](x, dout, dxN, n);
    close(`${name}Backward`, dxN, dxJ, 1e-5, 1e-5);
  }
  // in place
  const y = copy(x);
  const oj = new Float32Array(n);
  js.geluForward(x, oj, n);
  nk.geluForward(y, y, n);
  close('geluForward in place', y, oj, 1e-6, 1e-5);
});

nativeTest('crossEntropy forward and backward, ignoreIndex and weights', (nk) => {
  reseed(6);
  const ignore = -100;
  for (const [N, V] of [
    [50, 300],
    [64, 2048],
  ])
    for (const weighted of [false, true]) {
      const logits = randomF32(N * V, 3);
      const targets = new Int32Array(N);
      for (let i = 0; i < N; i++) targets[i] = i % 7 === 3 ? ignore : randInt(V);
      const weights = weighted ? randomF32(N) : null;
      const lossJ = new Float32Array(N);
      const lossN = new Float32Array(N).fill(7);
      const lseJ = new Float32Array(N);
      const lseN = new Float32Array(N).fill(7);
      js.crossEntropyForward(logits, targets, weights, lossJ, lseJ, N, V, ignore);
      nk.crossEntropyForward(logits, targets, weights, lossN, lseN, N, V, ignore);
      const tag = `${N}x${V} weights=${weighted}`;
      close(`crossEntropyForward loss ${tag}`, lossN, lossJ);
      close(`crossEntropyForward lse ${tag}`, lseN, lseJ);
      const dloss = randomF32(N);
      const d0 = randomF32(N * V);
      const dj = copy(d0);
      const dn = copy(d0);
      js.crossEntropyBackward(logits, targets, weights, lseJ, dloss, dj, N, V, ignore);
      nk.crossEntropyBackward(logits, targets, weights, lseJ, dloss, dn, N, V, ignore);
      close(`crossEntropyBackward ${tag}`, dn, dj);
    }
});

nativeTest('bad arguments throw clear errors instead of crashing', (nk) => {
  const small = new Float32Array(10);
  const big = new Float32Array(1000);
  assert.throws(
    () => nk.gemm(false, false, 10, 10, 10, 1, small, 0, 10, 0, big, 0, 10, 0, 0, big, 0, 10, 0, 1),
    (e: Error) => e instanceof RangeError && /gemm: 'A' has 10 elements but needs at least 100/.test(e.message),
  );
  assert.throws(
    () => nk.gemm(false, false, 2, 2, 2, 1, big, 0, 2, 0, big, 0, 2, 0, 0, big, 0, 2, 500, 4),
    (e: Error) => e instanceof RangeError && /'C' has 1000 elements but needs at least/.test(e.message),
  );
  assert.throws(
    () => nk.gemm(false, false, 4, 4, 4, 1, big, 0, 3, 0, big, 0, 4, 0, 0, big, 0, 4, 0, 1),
    (e: Error) => e instanceof RangeError && /lda = 3 must be >= K = 4/.test(e.message),
  );
  assert.throws(
    () => nk.layerNormForward(big, small, small, big, big, big, 90, 11, 1e-5),
    (e: Error) =>
      e instanceof RangeError && /layerNormForward: 'w' has 10 elements but needs at least 11/.test(e.message),
  );
  assert.throws(
    () => nk.attentionForward(big, null, big, big, 1, 4, 1, 100),
    (e: Error) => e instanceof RangeError && /'qkv' has 1000 elements but needs at least/.test(e.message),
  );
  assert.throws(
    () => nk.attentionForward(big, null, big, small, 1, 4, 1, 4),
    (e: Error) => e instanceof RangeError && /'att' has 10 elements but needs at least 16/.test(e.message),
  );
  assert.throws(
    () => nk.attentionCached(big, big, big, null, big, 1, 3, 2, 4, 1, 4),
    (e: Error) => e instanceof RangeError && /Tq = 3 must be <= tk = 2/.test(e.message),
  );
  assert.throws(
    () => nk.geluForward(small, big, 11),
    (e: Error) => e instanceof RangeError && /geluForward: 'x' has 10 elements but needs at least 11/.test(e.message),
  );
  assert.throws(
    () => nk.crossEntropyForward(big, new Int32Array([0, 5]), null, small, small, 2, 5, -100),
    (e: Error) => e instanceof RangeError && /targets\[1\] = 5 is outside \[0, V = 5\)/.test(e.message),
  );
  assert.throws(
    () => nk.embeddingForward(small, new Int32Array([0, 5]), big, 2, 2),
    (e: Error) => e instanceof RangeError && /ids\[1\] = 5 is outside \[0, 5\)/.test(e.message),
  );
  assert.throws(
    () => nk.embeddingBackward(big, new Int32Array([-1]), small, 1, 2),
    (e: Error) => e instanceof RangeError && /ids\[0\] = -1/.test(e.message),
  );
  assert.throws(
    () => nk.im2col(small, 5, big, 1, 3, 3, 1, 1, 1, 0, 3, 3),
    (e: Error) => e instanceof RangeError && /im2col: 'x' has 10 elements but needs at least 14/.test(e.message),
  );
  assert.throws(
    () => nk.adamw(big, big, big, small, 11, 1e-3, 0.9, 0.999, 1e-8, 0, 1),
    (e: Error) => e instanceof RangeError && /adamw: 'v' has 10 elements/.test(e.message),
  );
  assert.throws(
    () => nk.sumSquares(small, 11),
    (e: Error) => e instanceof RangeError && /sumSquares: 'x' has 10 elements/.test(e.message),
  );
  // wrong types
  const asAny = nk as unknown as Record<string, (...a: unknown[]) => unknown>;
  assert.throws(() => asAny.axpy(3, 1, new Float64Array(3), small), TypeError);
  assert.throws(() => asAny.addBias(small, small, '2', 5), TypeError);
  assert.throws(
    () => asAny.gemm(0, false, 1, 1, 1, 1, small, 0, 1, 0, small, 0, 1, 0, 0, small, 0, 1, 0, 1),
    TypeError,
  );
  assert.throws(() => asAny.addBias(small, small, -1, 5), RangeError);
  assert.throws(() => asAny.addBias(small, small, 1.5, 5), RangeError);
  assert.throws(() => asAny.embeddingForward(small, new Float32Array(2), big, 2, 2), TypeError);
  assert.throws(() => asAny.sumSquares(small), TypeError);
});

nativeTest('threaded kernel called right after load does not hang (thread pool start-up)', () => {
  // regression: a job posted before the pool's helper thread first ran used to be missed, deadlocking
  const url = new URL('../../src/tensor/kernels/native.js', import.meta.url).href;
  const script = `import { loadNativeKernels } from ${JSON.stringify(url)};
const k = loadNativeKernels().kernels;
const x = new Float32Array(1 << 20);
k.geluForward(x, x, x.length);
k.adamw(x, x, x, x, x.length, 1e-3, 0.9, 0.999, 1e-8, 0, 1);
process.stdout.write('ok');`;
  for (let i = 0; i < 20; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20000,
      encoding: 'utf8',
      env: { ...process.env, TESSERA_THREADS: '2' },
    });
    assert.equal(r.stdout, 'ok', `run ${i}: ${r.error ? r.error.message : `exit ${r.status}`} ${r.stderr}`);
  }
});
