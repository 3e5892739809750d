// The kernel interface: every heavy loop of the engine, as plain functions over Float32Array buffers.
// Two implementations exist: `js.ts` (pure TypeScript, the reference, also used in the browser) and
// `native.ts` (the C++ addon over the OS BLAS, with threads). Tests compare them on random inputs.
//
// Conventions (llm.c style):
// - All buffers are contiguous, row-major float32 unless a leading dimension (ld*) is given.
// - Forward kernels OVERWRITE their outputs.
// - Backward kernels ACCUMULATE (+=) into gradient buffers; callers zero them first when needed.
// - Sizes are element counts, never bytes. Offsets are element offsets into the given buffer.

export type F32 = Float32Array;
export type I32 = Int32Array;

export interface BackendInfo {
  backend: 'native' | 'js';
  blas: string; // e.g. "OpenBLAS 0.3.21 (pthread)", "Accelerate", "none (TypeScript loops)"
  threads: number;
  /** Native only: what the addon was built against: "openblas", "blis", "accelerate" or "compiler-only". */
  build?: string;
  /** Native only: what every matrix product calls (the BLAS, or "own (avx2+fma)"). */
  gemm?: string;
  /** Native only: the BLAS's kernel family for this CPU (OpenBLAS core name, BLIS arch), or "". */
  blasCore?: string;
}

export interface Kernels {
  info(): BackendInfo;

  // ---- matrix multiply -------------------------------------------------------------------------
  // C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b] for b in [0, batch).
  // op(A) is (M, K), op(B) is (K, N), C is (M, N). A[b] starts at aOff + b * strideA, etc.
  // lda/ldb/ldc are the row strides of the matrices as stored (row-major): for A not transposed lda >= K,
  // transposed lda >= M; for B not transposed ldb >= N, transposed ldb >= K; ldc >= N.
  gemm(
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
  ): void;

  // ---- bias ---------------------------------------------------------------------------------------
  // out[n, c] += bias[c] for a (N, C) matrix.
  addBias(out: F32, bias: F32, N: number, C: number): void;
  // dbias[c] += sum_n dout[n, c].
  biasBackward(dout: F32, dbias: F32, N: number, C: number): void;

  // ---- normalisation (over the last dimension C of an (N, C) matrix) -----------------------------
  // out = (x - mean) * rstd * w + b ; saves mean[N], rstd[N].
  layerNormForward(x: F32, w: F32, b: F32, out: F32, mean: F32, rstd: F32, N: number, C: number, eps: number): void;
  // dx += ..., dw += ..., db += ...
  layerNormBackward(
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
  ): void;
  // out = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps); saves rstd[N].
  rmsNormForward(x: F32, w: F32, out: F32, rstd: F32, N: number, C: number, eps: number): void;
  rmsNormBackward(dout: F32, x: F32, w: F32, rstd: F32, dx: F32, dw: F32, N: number, C: number): void;

  // ---- activations (elementwise over n values) -----------------------------------------------------
  // GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  geluForward(x: F32, out: F32, n: number): void;
  geluBackward(x: F32, dout: F32, dx: F32, n: number): void;
  // SiLU: x * sigmoid(x).
  siluForward(x: F32, out: F32, n: number): void;
  siluBackward(x: F32, dout: F32, dx: F32, n: number): void;

  // ---- softmax cross-entropy over rows of (N, V) logits ---------------------------------------------
  // For row i with target t = targets[i]: if t === ignoreIndex, loss[i] = 0 and lse[i] = 0;
  // else lse[i] = log(sum_j exp(logits[i, j])) and loss[i] = (lse[i] - logits[i, t]) * w_i,
  // where w_i = weights ? weights[i] : 1.
  crossEntropyForward(
    logits: F32,
    targets: I32,
    weights: F32 | null,
    loss: F32,
    lse: F32,
    N: number,
    V: number,
    ignoreIndex: number,
  ): void;
  // dlogits[i, j] += dloss[i] * w_i * (exp(logits[i, j] - lse[i]) - [j === t]) for non-ignored rows.
  crossEntropyBackward(
    logits: F32,
    targets: I32,
    weights: F32 | null,
    lse: F32,
    dloss: F32,
    dlogits: F32,
    N: number,
    V: number,
    ignoreIndex: number,
  ): void;

  // ---- causal self-attention --------------------------------------------------------------------
  // qkv: (B, T, 3C) with q, k, v side by side in the last dimension, C = H * hd, head h of q at columns
  // [h*hd, (h+1)*hd), of k at C + h*hd, of v at 2C + h*hd. Scale is 1/sqrt(hd). Query t attends to keys
  // s <= t; when keyMask (B, T) is given, keys with keyMask[b, s] === 0 are also excluded (a query whose
  // keys are all excluded outputs zeros). Writes y: (B, T, C) (heads side by side) and att: (B, H, T, T),
  // the softmax probabilities (zero where masked), kept for the backward pass.
  attentionForward(qkv: F32, keyMask: F32 | null, y: F32, att: F32, B: number, T: number, H: number, hd: number): void;
  // dqkv += gradient of y w.r.t. qkv, given dy: (B, T, C) and the att saved by the forward pass.
  attentionBackward(dy: F32, qkv: F32, att: F32, dqkv: F32, B: number, T: number, H: number, hd: number): void;
  // Inference with a KV cache. q: (B, Tq, C); kCache, vCache: (B, Tmax, C), of which the first tk
  // positions are valid; the Tq queries sit at positions tk - Tq .. tk - 1 and attend causally.
  // keyMask (B, Tmax) as above, or null. Writes y: (B, Tq, C).
  attentionCached(
    q: F32,
    kCache: F32,
    vCache: F32,
    keyMask: F32 | null,
    y: F32,
    B: number,
    Tq: number,
    tk: number,
    Tmax: number,
    H: number,
    hd: number,
  ): void;

  // ---- embedding ----------------------------------------------------------------------------------
  // out[i, :] = table[ids[i], :] for i in [0, n); table is (V, C). Ids are checked by the caller.
  embeddingForward(table: F32, ids: I32, out: F32, n: number, C: number): void;
  // dtable[ids[i], :] += dout[i, :].
  embeddingBackward(dout: F32, ids: I32, dtable: F32, n: number, C: number): void;

  // ---- convolution helpers (NCHW), used with gemm for conv2d and its transpose ----------------------
  // im2col for one image: x (Cin, H, W) -> cols (Cin*kh*kw, Ho*Wo), zero padding.
  im2col(
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
  ): void;
  // col2im for one image: ACCUMULATES cols (Cin*kh*kw, Ho*Wo) into x (Cin, H, W); the adjoint of im2col.
  col2im(
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
  ): void;

  // ---- optimiser ------------------------------------------------------------------------------------
  // One AdamW step over n values, in place. step is 1-based (for bias correction). Decoupled weight
  // decay: p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p).
  adamw(
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
  ): void;

  // ---- small elementwise helpers ----------------------------------------------------------------
  // y[i] += a * x[i]
  axpy(n: number, a: number, x: F32, y: F32): void;
  // sum of x[i]^2 (accumulated in double)
  sumSquares(x: F32, n: number): number;
}
