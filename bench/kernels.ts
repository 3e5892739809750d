// Micro-benchmark of the kernels at the sizes of the GPT benchmark (4 layers, width 256, 4 heads, seq 256,
// batch 8, vocab 2048, MLP 1024): milliseconds per call, native vs TypeScript.
// Run: npm run build && node dist/bench/kernels.js [--no-js] [--filter=name]
import { jsKernels } from '../src/tensor/kernels/js.js';
import { loadNativeKernels } from '../src/tensor/kernels/native.js';
import type { Kernels } from '../src/tensor/kernels/types.js';

const args = process.argv.slice(2);
const skipJs = args.includes('--no-js');
const filter = args.find((a) => a.startsWith('--filter='))?.slice('--filter='.length);

const loaded = loadNativeKernels();
if (loaded.kernels === null) console.log(`native addon unavailable: ${loaded.reason}`);
const native = loaded.kernels;

let seed = 42;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
function randomF32(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

// Ms per call: one warm-up call, then `rounds` rounds of calls lasting minMs / rounds each (at least
// minReps calls in all); the best round's mean, which filters out other load on the machine.
function time(fn: () => void, minMs: number, minReps: number, rounds = 5): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    while (reps < Math.ceil(minReps / rounds) || t - t0 < minMs / rounds) {
      fn();
      reps++;
      t = performance.now();
    }
    best = Math.min(best, (t - t0) / reps);
  }
  return best;
}

type Case = { name: string; run: (k: Kernels) => void };

function cases(): Case[] {
  const B = 8;
  const T = 256;
  const H = 4;
  const hd = 64;
  const C = H * hd;
  const BT = B * T;
  const V = 2048;
  const F = 1024;
  const out: Case[] = [];

  // gemm: the QKV projection (2048 x 256) @ (256 x 768), and its two backward products
  const x = randomF32(BT * C);
  const wqkv = randomF32(C * 3 * C);
  const qkvOut = new Float32Array(BT * 3 * C);
  out.push({
    name: 'gemm 2048x768x256 (NN)',
    run: (k) => k.gemm(false, false, BT, 3 * C, C, 1, x, 0, C, 0, wqkv, 0, 3 * C, 0, 0, qkvOut, 0, 3 * C, 0, 1),
  });
  const dx = new Float32Array(BT * C);
  out.push({
    name: 'gemm 2048x256x768 (NT, dX)',
    run: (k) => k.gemm(false, true, BT, C, 3 * C, 1, qkvOut, 0, 3 * C, 0, wqkv, 0, 3 * C, 0, 1, dx, 0, C, 0, 1),
  });
  const dw = new Float32Array(C * 3 * C);
  out.push({
    name: 'gemm 256x768x2048 (TN, dW)',
    run: (k) => k.gemm(true, false, C, 3 * C, BT, 1, x, 0, C, 0, qkvOut, 0, 3 * C, 0, 1, dw, 0, 3 * C, 0, 1),
  });
  // batched small gemm: 32 (b, h) items of 256 x 256 x 64
  const qb = randomF32(B * H * T * hd);
  const sb = new Float32Array(B * H * T * T);
  out.push({
    name: 'gemm batch 32 x 256x256x64 (NT)',
    run: (k) => k.gemm(false, true, T, T, hd, 1, qb, 0, hd, T * hd, qb, 0, hd, T * hd, 0, sb, 0, T, T * T, B * H),
  });

  // attention
  const qkv = randomF32(BT * 3 * C);
  const y = new Float32Array(BT * C);
  const att = new Float32Array(B * H * T * T);
  const dy = randomF32(BT * C);
  const dqkv = new Float32Array(BT * 3 * C);
  out.push({
    name: 'attentionForward B8 T256 H4 hd64',
    run: (k) => k.attentionForward(qkv, null, y, att, B, T, H, hd),
  });
  out.push({
    name: 'attentionBackward B8 T256 H4 hd64',
    run: (k) => k.attentionBackward(dy, qkv, att, dqkv, B, T, H, hd),
  });

  // layer norm
  const w = randomF32(C);
  const b = randomF32(C);
  const ln = new Float32Array(BT * C);
  const mean = new Float32Array(BT);
  const rstd = new Float32Array(BT);
  const dw1 = new Float32Array(C);
  const db1 = new Float32Array(C);
  out.push({
    name: 'layerNormForward 2048x256',
    run: (k) => k.layerNormForward(x, w, b, ln, mean, rstd, BT, C, 1e-5),
  });
  out.push({
    name: 'layerNormBackward 2048x256',
    run: (k) => k.layerNormBackward(dy, x, w, mean, rstd, dx, dw1, db1, BT, C),
  });

  // gelu
  const h = randomF32(BT * F, 3);
  const hOut = new Float32Array(BT * F);
  const dh = randomF32(BT * F);
  const dhx = new Float32Array(BT * F);
  out.push({ name: 'geluForward 2048x1024', run: (k) => k.geluForward(h, hOut, BT * F) });
  out.push({ name: 'geluBackward 2048x1024', run: (k) => k.geluBackward(h, dh, dhx, BT * F) });

  // bias
  const bias = randomF32(F);
  const dbias = new Float32Array(F);
  out.push({ name: 'addBias 2048x1024', run: (k) => k.addBias(hOut, bias, BT, F) });
  out.push({ name: 'biasBackward 2048x1024', run: (k) => k.biasBackward(dh, dbias, BT, F) });

  // cross-entropy
  const logits = randomF32(BT * V, 4);
  const targets = new Int32Array(BT);
  for (let i = 0; i < BT; i++) targets[i] = Math.floor(rand() * V);
  const loss = new Float32Array(BT);
  const lse = new Float32Array(BT);
  const dloss = new Float32Array(BT).fill(1 / BT);
  const dlogits = new Float32Array(BT * V);
  out.push({
    name: 'crossEntropyForward 2048x2048',
    run: (k) => k.crossEntropyForward(logits, targets, null, loss, lse, BT, V, -100),
  });
  out.push({
    name: 'crossEntropyBackward 2048x2048',
    run: (k) => k.crossEntropyBackward(logits, targets, null, lse, dloss, dlogits, BT, V, -100),
  });

  // embedding
  const table = randomF32(V * C);
  const emb = new Float32Array(BT * C);
  const dtable = new Float32Array(V * C);
  out.push({ name: 'embeddingForward 2048x256', run: (k) => k.embeddingForward(table, targets, emb, BT, C) });
  out.push({ name: 'embeddingBackward 2048x256', run: (k) => k.embeddingBackward(dy, targets, dtable, BT, C) });

  // optimiser over the GPT's ~3.7M parameters
  const P = 3_700_000;
  const p = randomF32(P);
  const g = randomF32(P, 0.01);
  const m = new Float32Array(P);
  const v = new Float32Array(P);
  let step = 0;
  out.push({ name: 'adamw 3.7M', run: (k) => k.adamw(p, g, m, v, P, 1e-3, 0.9, 0.95, 1e-8, 0.1, ++step) });
  out.push({ name: 'sumSquares 3.7M', run: (k) => void k.sumSquares(g, P) });
  out.push({ name: 'axpy 3.7M', run: (k) => k.axpy(P, 0.5, g, m) });
  return out;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

const info = native?.info();
console.log(`native: ${info ? `${info.blas}, ${info.threads} threads` : 'unavailable'}`);
console.log(`${'kernel'.padEnd(36)}${'native ms'.padStart(12)}${'js ms'.padStart(12)}${'speed-up'.padStart(10)}`);
for (const c of cases()) {
  if (filter && !c.name.includes(filter)) continue;
  const n = native ? time(() => c.run(native), 500, 5) : Number.NaN;
  const j = skipJs ? Number.NaN : time(() => c.run(jsKernels), 300, 1, 1);
  const ratio = Number.isNaN(n) || Number.isNaN(j) ? '' : `${(j / n).toFixed(1)}x`;
  console.log(
    `${c.name.padEnd(36)}${(Number.isNaN(n) ? '-' : fmt(n)).padStart(12)}${(Number.isNaN(j) ? '-' : fmt(j)).padStart(12)}${ratio.padStart(10)}`,
  );
}
