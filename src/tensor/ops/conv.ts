// conv2d and transposed conv2d (NCHW, PyTorch weight layouts) as im2col/col2im + gemm.
// Columns are recomputed in the backward pass instead of stored: cheaper in memory, and im2col is cheap.
import { kernels, record, Tensor } from '../tensor.js';

export interface ConvOptions {
  stride?: number;
  padding?: number;
}

function addChannelBias(out: Float32Array, off: number, b: Float32Array, C: number, hw: number): void {
  for (let c = 0; c < C; c++) {
    const bc = b[c];
    const o = off + c * hw;
    for (let i = 0; i < hw; i++) out[o + i] += bc;
  }
}

function channelBiasGrad(g: Float32Array, off: number, db: Float32Array, C: number, hw: number): void {
  for (let c = 0; c < C; c++) {
    let s = 0;
    const o = off + c * hw;
    for (let i = 0; i < hw; i++) s += g[o + i];
    db[c] += s;
  }
}

/** x (N, Cin, H, W), w (Cout, Cin, kh, kw), b (Cout) or null -> (N, Cout, Ho, Wo). */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions = {}): Tensor {
  const stride = opts.stride ?? 1;
  const pad = opts.padding ?? 0;
  if (x.shape.length !== 4 || w.shape.length !== 4)
    throw new Error(`conv2d: x [${x.shape.join(', ')}] and w [${w.shape.join(', ')}] must both be 4-D`);
  const [N, Cin, H, W] = x.shape;
  const [Cout, wCin, kh, kw] = w.shape;
  if (wCin !== Cin) throw new Error(`conv2d: input has ${Cin} channels, weight expects ${wCin}`);
  if (b && b.size !== Cout) throw new Error(`conv2d: bias has ${b.size} values, expected ${Cout}`);
  const Ho = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - kw) / stride) + 1;
  if (Ho <= 0 || Wo <= 0)
    throw new Error(`conv2d: kernel ${kh}x${kw} does not fit input ${H}x${W} with padding ${pad}`);
  const CK = Cin * kh * kw;
  const HW = Ho * Wo;
  const out = Tensor.empty([N, Cout, Ho, Wo]);
  const cols = Tensor.empty([CK, HW]);
  const K = kernels();
  for (let n = 0; n < N; n++) {
    K.im2col(x.data, n * Cin * H * W, cols.data, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
    K.gemm(false, false, Cout, HW, CK, 1, w.data, 0, CK, 0, cols.data, 0, HW, 0, 0, out.data, n * Cout * HW, HW, 0, 1);
    if (b) addChannelBias(out.data, n * Cout * HW, b.data, Cout, HW);
  }
  return record(out, b ? [x, w, b] : [x, w], (g) => {
    const k = kernels();
    for (let n = 0; n < N; n++) {
      const gOff = n * Cout * HW;
      if (w.requiresGrad) {
        k.im2col(x.data, n * Cin * H * W, cols.data, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
        // dW += g[n] (Cout, HW) @ cols^T (HW, CK)
        k.gemm(false, true, Cout, CK, HW, 1, g, gOff, HW, 0, cols.data, 0, HW, 0, 1, w.ensureGrad(), 0, CK, 0, 1);
      }
      if (x.requiresGrad) {
        // dcols = W^T (CK, Cout) @ g[n] (Cout, HW), then scatter back
        k.gemm(true, false, CK, HW, Cout, 1, w.data, 0, CK, 0, g, gOff, HW, 0, 0, cols.data, 0, HW, 0, 1);
        k.col2im(cols.data, x.ensureGrad(), n * Cin * H * W, Cin, H, W, kh, kw, stride, pad, Ho, Wo);
      }
      if (b?.requiresGrad) channelBiasGrad(g, gOff, b.ensureGrad(), Cout, HW);
    }
  });
}

/** Transposed conv: x (N, Cin, H, W), w (Cin, Cout, kh, kw), b (Cout) or null -> (N, Cout, Ho, Wo) with
 *  Ho = (H - 1) * stride - 2 * padding + kh. The exact adjoint of conv2d with the same geometry. */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions = {}): Tensor {
  const stride = opts.stride ?? 1;
  const pad = opts.padding ?? 0;
  if (x.shape.length !== 4 || w.shape.length !== 4)
    throw new Error(`convTranspose2d: x [${x.shape.join(', ')}] and w [${w.shape.join(', ')}] must both be 4-D`);
  const [N, Cin, H, W] = x.shape;
  const [wCin, Cout, kh, kw] = w.shape;
  if (wCin !== Cin) throw new Error(`convTranspose2d: input has ${Cin} channels, weight expects ${wCin}`);
  if (b && b.size !== Cout) throw new Error(`convTranspose2d: bias has ${b.size} values, expected ${Cout}`);
  const Ho = (H - 1) * stride - 2 * pad + kh;
  const Wo = (W - 1) * stride - 2 * pad + kw;
  if (Ho <= 0 || Wo <= 0) throw new Error(`convTranspose2d: output would be ${Ho}x${Wo}`);
  const CK = Cout * kh * kw;
  const HW = H * W;
  const out = Tensor.zeros([N, Cout, Ho, Wo]);
  const cols = Tensor.empty([CK, HW]);
  const K = kernels();
  for (let n = 0; n < N; n++) {
    // cols (CK, HW) = W^T (CK, Cin) @ x[n] (Cin, HW); col2im into the output
    K.gemm(true, false, CK, HW, Cin, 1, w.data, 0, CK, 0, x.data, n * Cin * HW, HW, 0, 0, cols.data, 0, HW, 0, 1);
    K.col2im(cols.data, out.data, n * Cout * Ho * Wo, Cout, Ho, Wo, kh, kw, stride, pad, H, W);
    if (b) addChannelBias(out.data, n * Cout * Ho * Wo, b.data, Cout, Ho * Wo);
  }
  return record(out, b ? [x, w, b] : [x, w], (g) => {
    const k = kernels();
    for (let n = 0; n < N; n++) {
      const gOff = n * Cout * Ho * Wo;
      k.im2col(g, gOff, cols.data, Cout, Ho, Wo, kh, kw, stride, pad, H, W);
      // dx[n] += W (Cin, CK) @ cols (CK, HW)
      if (x.requiresGrad)
        k.gemm(
          false,
          false,
          Cin,
          HW,
          CK,
          1,
          w.data,
          0,
          CK,
          0,
          cols.data,
          0,
          HW,
          0,
          1,
          x.ensureGrad(),
          n * Cin * HW,
          HW,
          0,
          1,
        );
      // dW += x[n] (Cin, HW) @ cols^T (HW, CK)
      if (w.requiresGrad)
        k.gemm(
          false,
          true,
          Cin,
          CK,
          HW,
          1,
          x.data,
          n * Cin * HW,
          HW,
          0,
          cols.data,
          0,
          HW,
          0,
          1,
          w.ensureGrad(),
          0,
          CK,
          0,
          1,
        );
      if (b?.requiresGrad) channelBiasGrad(g, gOff, b.ensureGrad(), Cout, Ho * Wo);
    }
  });
}
