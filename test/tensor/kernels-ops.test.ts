// Native kernels against the TypeScript reference, second half: attention (with the KV cache), embeddings,
// im2col/col2im, AdamW, axpy and sums of squares, on random seeded inputs, element by element.
import assert from 'node:assert/strict';
import { close, copy, js, nativeTest, rand, randInt, randomF32, reseed } from '../helpers/kernels.js';

// ---- tests ----------------------------------------------------------------------------------------------

nativeTest('attention forward and backward, causal, keyMask, fully masked rows', (nk) => {
  reseed(7);
  const configs: [number, number, number, number, boolean][] = [
    [2, 37, 3, 16, false],
    [2, 70, 2, 64, true],
    [1, 130, 2, 16, true],
    [3, 1, 1, 16, false],
    [2, 97, 4, 64, false],
  ];
  for (const [B, T, H, hd, masked] of configs) {
    const C = H * hd;
    const qkv = randomF32(B * T * 3 * C);
    let keyMask: Float32Array | null = null;
    if (masked) {
      keyMask = new Float32Array(B * T);
      for (let i = 0; i < B * T; i++) keyMask[i] = rand() < 0.25 ? 0 : 1;
      // the first 3 keys of the last batch item masked, so its queries 0..2 see no key at all
      for (let s = 0; s < Math.min(3, T); s++) keyMask[(B - 1) * T + s] = 0;
    }
    const tag = `B${B} T${T} H${H} hd${hd} mask=${masked}`;
    const yJ = new Float32Array(B * T * C);
    const yN = new Float32Array(B * T * C).fill(Number.NaN);
    const attJ = new Float32Array(B * H * T * T);
    const attN = new Float32Array(B * H * T * T).fill(Number.NaN);
    js.attentionForward(qkv, keyMask, yJ, attJ, B, T, H, hd);
    nk.attentionForward(qkv, keyMask, yN, attN, B, T, H, hd);
    close(`attentionForward y ${tag}`, yN, yJ);
    close(`attentionForward att ${tag}`, attN, attJ);
    if (masked)
      for (let h = 0; h < H; h++)
        for (let d = 0; d < hd; d++)
          assert.equal(yN[(B - 1) * T * C + h * hd + d], 0, 'fully masked query must output 0');
    const dy = randomF32(B * T * C);
    const d0 = randomF32(B * T * 3 * C);
    const dJ = copy(d0);
    const dN = copy(d0);
    js.attentionBackward(dy, qkv, attJ, dJ, B, T, H, hd);
    nk.attentionBackward(dy, qkv, attJ, dN, B, T, H, hd);
    close(`attentionBackward dqkv ${tag}`, dN, dJ);
  }
});

nativeTest('attentionCached (KV cache), with and without keyMask', (nk) => {
  reseed(8);
  const B = 2;
  const Tmax = 20;
  const tk = 13;
  for (const [H, hd] of [
    [2, 16],
    [4, 64],
  ])
    for (const Tq of [1, 4, 13])
      for (const masked of [false, true]) {
        const C = H * hd;
        const q = randomF32(B * Tq * C);
        const kCache = randomF32(B * Tmax * C);
        const vCache = randomF32(B * Tmax * C);
        let keyMask: Float32Array | null = null;
        if (masked) {
          keyMask = new Float32Array(B * Tmax);
          for (let i = 0; i < B * Tmax; i++) keyMask[i] = rand() < 0.3 ? 0 : 1;
          for (let s = 0; s < 2; s++) keyMask[Tmax + s] = 0; // early queries of batch 1 with no key
        }
        const yJ = new Float32Array(B * Tq * C);
        const yN = new Float32Array(B * Tq * C).fill(Number.NaN);
        js.attentionCached(q, kCache, vCache, keyMask, yJ, B, Tq, tk, Tmax, H, hd);
        nk.attentionCached(q, kCache, vCache, keyMask, yN, B, Tq, tk, Tmax, H, hd);
        close(`attentionCached H${H} hd${hd} Tq${Tq} mask=${masked}`, yN, yJ);
      }
});

nativeTest('embedding forward and backward with repeated ids', (nk) => {
  reseed(9);
  for (const [V, C, n] of [
    [50, 40, 300],
    [10, 64, 2000],
    [2048, 256, 512],
  ]) {
    const table = randomF32(V * C);
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i % 5 === 0 ? 3 : randInt(V);
    const oj = new Float32Array(n * C);
    const on = new Float32Array(n * C);
    js.embeddingForward(table, ids, oj, n, C);
    nk.embeddingForward(table, ids, on, n, C);
    close(`embeddingForward V${V} C${C} n${n}`, on, oj, 0, 0);
    const dout = randomF32(n * C);
    const dt0 = randomF32(V * C);
    const dj = copy(dt0);
    const dn = copy(dt0);
    js.embeddingBackward(dout, ids, dj, n, C);
    nk.embeddingBackward(dout, ids, dn, n, C);
    close(`embeddingBackward V${V} C${C} n${n}`, dn, dj);
  }
});

nativeTest('im2col and col2im with stride and padding', (nk) => {
  reseed(10);
  const configs: [number, number, number, number, number, number, number][] = [
    // Cin, H, W, kh, kw, stride, pad
    [3, 9, 7, 3, 3, 2, 1],
    [2, 8, 8, 4, 4, 2, 1],
    [16, 32, 32, 3, 3, 1, 0],
    [4, 5, 6, 1, 1, 1, 0],
    [3, 6, 6, 3, 2, 3, 2],
  ];
  for (const [Cin, H, W, kh, kw, stride, pad] of configs) {
    const Ho = Math.floor((H + 2 * pad - kh) / stride) + 1;
    const Wo = Math.floor((W + 2 * pad - kw) / stride) + 1;
    const xOff = 5;
    const tag = `Cin${Cin} ${H}x${W} k${kh}x${kw} s${stride} p${pad}`;
    const x = randomF32(xOff + Cin * H * W + 3);
    const cj = new Float32Array(Cin * kh * kw * Ho * Wo);
    const cn = new Float32Array(Cin * kh * kw * Ho * Wo).fill(Number.NaN);
    js.im2col(x, xOff, cj, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
    nk.im2col(x, xOff, cn, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
    close(`im2col ${tag}`, cn, cj, 0, 0);
    const cols = randomF32(cj.length);
    const xj = copy(x);
    const xn = copy(x);
    js.col2im(cols, xj, xOff, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
    nk.col2im(cols, xn, xOff, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
    close(`col2im ${tag}`, xn, xj);
  }
});

nativeTest('adamw over several steps', (nk) => {
  reseed(11);
  for (const n of [17, 100001]) {
    const p0 = randomF32(n);
    const [pj, mj, vj] = [copy(p0), new Float32Array(n), new Float32Array(n)];
    const [pn, mn, vn] = [copy(p0), new Float32Array(n), new Float32Array(n)];
    for (let step = 1; step <= 5; step++) {
      const g = randomF32(n, 0.1);
      js.adamw(pj, g, mj, vj, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, step);
      nk.adamw(pn, g, mn, vn, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, step);
    }
    close(`adamw p n=${n}`, pn, pj, 1e-5, 1e-4);
    close(`adamw m n=${n}`, mn, mj, 1e-6, 1e-4);
    close(`adamw v n=${n}`, vn, vj, 1e-7, 1e-4);
  }
});

nativeTest('axpy and sumSquares', (nk) => {
  reseed(12);
  for (const n of [0, 5, 300001]) {
    const x = randomF32(n);
    const y0 = randomF32(n);
    const yj = copy(y0);
    const yn = copy(y0);
    js.axpy(n, -0.37, x, yj);
    nk.axpy(n, -0.37, x, yn);
    close(`axpy n=${n}`, yn, yj);
    const sj = js.sumSquares(x, n);
    const sn = nk.sumSquares(x, n);
    assert.ok(Math.abs(sn - sj) <= 1e-9 * Math.max(1, sj), `sumSquares n=${n}: native ${sn} vs js ${sj}`);
  }
  // only the first n values count
  const x = new Float32Array([3, 4, 100]);
  assert.equal(nk.sumSquares(x, 2), 25);
});
