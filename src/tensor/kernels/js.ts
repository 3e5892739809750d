// Pure TypeScript kernels: the reference implementation of `Kernels` (see types.ts for the contract).
// Written for clarity first and reasonable speed second (i-k-j loop order, no allocation in loops);
// the native addon is tested against these on random inputs.
import { attentionBackward, attentionCached, attentionForward } from './js-attention.js';
import type { BackendInfo, F32, I32, Kernels } from './types.js';

const GELU_C = Math.sqrt(2 / Math.PI);

function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: F32,
  aOff: number,
  lda: number,
  strideA: number,
  B: F32,
  bOff: number,
  ldb: number,
  strideB: number,
  beta: number,
  C: F32,
  cOff: number,
  ldc: number,
  strideC: number,
  batch: number,
): void {
  const row = new Float32Array(N);
  for (let bi = 0; bi < batch; bi++) {
    const a0 = aOff + bi * strideA;
    const b0 = bOff + bi * strideB;
    const c0 = cOff + bi * strideC;
    for (let i = 0; i < M; i++) {
      if (transB && !transA) {
        // C[i, j] = A[i, :] . B[j, :]: both rows contiguous, so a dot product per entry (no strided walk).
        const aRow = a0 + i * lda;
        for (let j = 0; j < N; j++) {
          const bRow = b0 + j * ldb;
          let s = 0;
          for (let k = 0; k < K; k++) s += A[aRow + k] * B[bRow + k];
          row[j] = s;
        }
      } else {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const a = transA ? A[a0 + k * lda + i] : A[a0 + i * lda + k];
          if (a === 0) continue;
          if (transB) {
            for (let j = 0; j < N; j++) row[j] += a * B[b0 + j * ldb + k];
          } else {
            const bRow = b0 + k * ldb;
            for (let j = 0; j < N; j++) row[j] += a * B[bRow + j];
          }
        }
      }
      const cRow = c0 + i * ldc;
      if (beta === 0) for (let j = 0; j < N; j++) C[cRow + j] = alpha * row[j];
      else for (let j = 0; j < N; j++) C[cRow + j] = alpha * row[j] + beta * C[cRow + j];
    }
  }
}

function addBias(out: F32, bias: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    for (let c = 0; c < C; c++) out[o + c] += bias[c];
  }
}

function biasBackward(dout: F32, dbias: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    for (let c = 0; c < C; c++) dbias[c] += dout[o + c];
  }
}

function layerNormForward(x: F32, w: F32, b: F32, out: F32, mean: F32, rstd: F32, N: number, C: number, eps: number) {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[o + c];
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) {
      const d = x[o + c] - m;
      v += d * d;
    }
    const r = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) out[o + c] = (x[o + c] - m) * r * w[c] + b[c];
    mean[n] = m;
    rstd[n] = r;
  }
}

function layerNormBackward(
  dout: F32,
  x: F32,
  w: F32,
  mean: F32,
  rstd: F32,
  dx: F32,
  dw: F32,
  db: F32,
  N: number,
  C: number,
) {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const m = mean[n];
    const r = rstd[n];
    // dnorm = dout * w ; dx = r * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat))
    let sumD = 0;
    let sumDX = 0;
    for (let c = 0; c < C; c++) {
      const xhat = (x[o + c] - m) * r;
      const dn = dout[o + c] * w[c];
      sumD += dn;
      sumDX += dn * xhat;
    }
    const meanD = sumD / C;
    const meanDX = sumDX / C;
    for (let c = 0; c < C; c++) {
      const xhat = (x[o + c] - m) * r;
      const dn = dout[o + c] * w[c];
      db[c] += dout[o + c];
      dw[c] += dout[o + c] * xhat;
      dx[o + c] += r * (dn - meanD - xhat * meanDX);
    }
  }
}

function rmsNormForward(x: F32, w: F32, out: F32, rstd: F32, N: number, C: number, eps: number) {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[o + c] * x[o + c];
    const r = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[o + c] = x[o + c] * r * w[c];
    rstd[n] = r;
  }
}

function rmsNormBackward(dout: F32, x: F32, w: F32, rstd: F32, dx: F32, dw: F32, N: number, C: number) {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const r = rstd[n];
    // xhat = x r ; dx = r (dn - xhat mean(dn xhat))
    let sumDX = 0;
    for (let c = 0; c < C; c++) sumDX += dout[o + c] * w[c] * x[o + c] * r;
    const meanDX = sumDX / C;
    for (let c = 0; c < C; c++) {
      const xhat = x[o + c] * r;
      dw[c] += dout[o + c] * xhat;
      dx[o + c] += r * (dout[o + c] * w[c] - xhat * meanDX);
    }
  }
}

function geluForward(x: F32, out: F32, n: number) {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
}

function geluBackward(x: F32, dout: F32, dx: F32, n: number) {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const u = GELU_C * (v + 0.044715 * v * v * v);
    const t = Math.tanh(u);
    const du = GELU_C * (1 + 3 * 0.044715 * v * v);
    dx[i] += dout[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  }
}

function siluForward(x: F32, out: F32, n: number) {
  for (let i = 0; i < n; i++) out[i] = x[i] / (1 + Math.exp(-x[i]));
}

function siluBackward(x: F32, dout: F32, dx: F32, n: number) {
  for (let i = 0; i < n; i++) {
    const s = 1 / (1 + Math.exp(-x[i]));
    dx[i] += dout[i] * s * (1 + x[i] * (1 - s));
  }
}

function crossEntropyForward(
  logits: F32,
  targets: I32,
  weights: F32 | null,
  loss: F32,
  lse: F32,
  N: number,
  V: number,
  ignoreIndex: number,
) {
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === ignoreIndex) {
      loss[i] = 0;
      lse[i] = 0;
      continue;
    }
    const o = i * V;
    let mx = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j] > mx) mx = logits[o + j];
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[o + j] - mx);
    const l = mx + Math.log(s);
    lse[i] = l;
    loss[i] = (l - logits[o + t]) * (weights ? weights[i] : 1);
  }
}

function crossEntropyBackward(
  logits: F32,
  targets: I32,
  weights: F32 | null,
  lse: F32,
  dloss: F32,
  dlogits: F32,
  N: number,
  V: number,
  ignoreIndex: number,
) {
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === ignoreIndex) continue;
    const g = dloss[i] * (weights ? weights[i] : 1);
    if (g === 0) continue;
    const o = i * V;
    const l = lse[i];
    for (let j = 0; j < V; j++) dlogits[o + j] += g * Math.exp(logits[o + j] - l);
    dlogits[o + t] -= g;
  }
}

function embeddingForward(table: F32, ids: I32, out: F32, n: number, C: number) {
  for (let i = 0; i < n; i++) out.set(table.subarray(ids[i] * C, ids[i] * C + C), i * C);
}

function embeddingBackward(dout: F32, ids: I32, dtable: F32, n: number, C: number) {
  for (let i = 0; i < n; i++) {
    const o = ids[i] * C;
    for (let c = 0; c < C; c++) dtable[o + c] += dout[i * C + c];
  }
}

function im2col(
  x: F32,
  xOff: number,
  cols: F32,
  Cin: number,
  H: number,
  W: number,
  kh: number,
  kw: number,
  stride: number,
  pad: number,
  Ho: number,
  Wo: number,
) {
  for (let c = 0; c < Cin; c++)
    for (let ki = 0; ki < kh; ki++)
      for (let kj = 0; kj < kw; kj++) {
        const row = ((c * kh + ki) * kw + kj) * Ho * Wo;
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * stride - pad + ki;
          for (let ox = 0; ox < Wo; ox++) {
            const ix = ox * stride - pad + kj;
            cols[row + oy * Wo + ox] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[xOff + (c * H + iy) * W + ix] : 0;
          }
        }
      }
}

function col2im(
  cols: F32,
  x: F32,
  xOff: number,
  Cin: number,
  H: number,
  W: number,
  kh: number,
  kw: number,
  stride: number,
  pad: number,
  Ho: number,
  Wo: number,
) {
  for (let c = 0; c < Cin; c++)
    for (let ki = 0; ki < kh; ki++)
      for (let kj = 0; kj < kw; kj++) {
        const row = ((c * kh + ki) * kw + kj) * Ho * Wo;
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * stride - pad + ki;
          if (iy < 0 || iy >= H) continue;
          for (let ox = 0; ox < Wo; ox++) {
            const ix = ox * stride - pad + kj;
            if (ix < 0 || ix >= W) continue;
            x[xOff + (c * H + iy) * W + ix] += cols[row + oy * Wo + ox];
          }
        }
      }
}

function adamw(
  p: F32,
  g: F32,
  m: F32,
  v: F32,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  wd: number,
  step: number,
) {
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi / bc1 / (Math.sqrt(vi / bc2) + eps) + wd * p[i]);
  }
}

function axpy(n: number, a: number, x: F32, y: F32) {
  for (let i = 0; i < n; i++) y[i] += a * x[i];
}

function sumSquares(x: F32, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

export const jsKernels: Kernels = {
  info: (): BackendInfo => ({ backend: 'js', blas: 'none (TypeScript loops)', threads: 1 }),
  gemm,
  addBias,
  biasBackward,
  layerNormForward,
  layerNormBackward,
  rmsNormForward,
  rmsNormBackward,
  geluForward,
  geluBackward,
  siluForward,
  siluBackward,
  crossEntropyForward,
  crossEntropyBackward,
  attentionForward,
  attentionBackward,
  attentionCached,
  embeddingForward,
  embeddingBackward,
  im2col,
  col2im,
  adamw,
  axpy,
  sumSquares,
};
