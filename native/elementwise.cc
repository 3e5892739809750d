// The elementwise kernels: bias, LayerNorm / RMSNorm, GELU / SiLU, cross-entropy, embeddings, im2col /
// col2im, AdamW, axpy and sums of squares, each split over the pool in pieces of about kGrain values.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "internal.h"
#include "kernels.h"

namespace tessera {

// ---- bias -----------------------------------------------------------------------------------------------

static void addBiasRows(float* __restrict out, const float* __restrict bias, int64_t n0, int64_t n1, int64_t C) {
  for (int64_t n = n0; n < n1; n++) {
    float* __restrict o = out + n * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] += bias[c];
  }
}

void addBias(float* out, const float* bias, int64_t N, int64_t C) {
  pool().parallelFor(N, rowGrain(C), [&](int, int64_t n0, int64_t n1) { addBiasRows(out, bias, n0, n1, C); });
}

// Sums rows [n0, n1) of an (N, C) matrix into acc (C floats), 4 rows at a time.
static void sumRows(const float* x, int64_t n0, int64_t n1, int64_t C, float* __restrict acc) {
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) {
    const float* __restrict a = x + n * C;
    const float* __restrict b = a + C;
    const float* __restrict c2 = b + C;
    const float* __restrict d = c2 + C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) acc[c] += (a[c] + b[c]) + (c2[c] + d[c]);
  }
  for (; n < n1; n++) {
    const float* __restrict a = x + n * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) acc[c] += a[c];
  }
}

// acc[c] += sum over t < nt of part[t * stride + c]
static void addPartials(float* __restrict acc, const float* __restrict part, int nt, int64_t stride, int64_t C) {
  for (int t = 0; t < nt; t++) {
    const float* __restrict p = part + size_t(t) * stride;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) acc[c] += p[c];
  }
}

void biasBackward(const float* dout, float* dbias, int64_t N, int64_t C) {
  const int nt = threads();
  if (nt == 1 || N * C < 2 * kGrain || N < 2) {
    sumRows(dout, 0, N, C, dbias);
    return;
  }
  // per-thread partial sums over row ranges, then a fixed-order reduction (deterministic)
  float* part = scratch(size_t(nt) * C, 1);
  std::fill(part, part + size_t(nt) * C, 0.0f);
  pool().parallelFor(N, 1, [&](int tid, int64_t n0, int64_t n1) { sumRows(dout, n0, n1, C, part + tid * C); });
  addPartials(dbias, part, nt, C, C);
}

// ---- normalisation --------------------------------------------------------------------------------------
// The loops live in plain functions over explicit (restrict) pointers and a row range; the parallelFor
// lambdas only forward to them, which keeps the inner loops cleanly vectorised.

static void layerNormForwardRows(const float* __restrict x, const float* __restrict w, const float* __restrict b,
                                 float* __restrict out, float* __restrict mean, float* __restrict rstd, int64_t n0,
                                 int64_t n1, int64_t C, float eps) {
  for (int64_t n = n0; n < n1; n++) {
    const float* __restrict xr = x + n * C;
    float* __restrict o = out + n * C;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t c = 0; c < C; c++) s += xr[c];
    const float m = s / float(C);
    float v = 0;
#pragma omp simd reduction(+ : v)
    for (int64_t c = 0; c < C; c++) {
      const float d = xr[c] - m;
      v += d * d;
    }
    const float r = float(1.0 / std::sqrt(double(v) / double(C) + double(eps)));
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = (xr[c] - m) * r * w[c] + b[c];
    mean[n] = m;
    rstd[n] = r;
  }
}

void layerNormForward(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd, int64_t N,
                      int64_t C, float eps) {
  pool().parallelFor(N, rowGrain(C), [&](int, int64_t n0, int64_t n1) {
    layerNormForwardRows(x, w, b, out, mean, rstd, n0, n1, C, eps);
  });
}

static void layerNormBackwardRows(const float* __restrict dout, const float* __restrict x, const float* __restrict w,
                                  const float* __restrict mean, const float* __restrict rstd, float* __restrict dx,
                                  float* __restrict pw, float* __restrict pb, int64_t n0, int64_t n1, int64_t C) {
  for (int64_t n = n0; n < n1; n++) {
    const float* __restrict xr = x + n * C;
    const float* __restrict g = dout + n * C;
    float* __restrict d = dx + n * C;
    const float m = mean[n], r = rstd[n];
    float sumD = 0, sumDX = 0;
#pragma omp simd reduction(+ : sumD, sumDX)
    for (int64_t c = 0; c < C; c++) {
      const float xhat = (xr[c] - m) * r;
      const float dn = g[c] * w[c];
      sumD += dn;
      sumDX += dn * xhat;
    }
    const float meanD = sumD / float(C), meanDX = sumDX / float(C);
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      const float xhat = (xr[c] - m) * r;
      pb[c] += g[c];
      pw[c] += g[c] * xhat;
      d[c] += r * (g[c] * w[c] - meanD - xhat * meanDX);
    }
  }
}

void layerNormBackward(const float* dout, const float* x, const float* w, const float* mean, const float* rstd,
                       float* dx, float* dw, float* db, int64_t N, int64_t C) {
  const int nt = threads();
  // per-thread partial dw, db: slot t holds [dw (C), db (C)], reduced in a fixed order (deterministic)
  float* part = scratch(size_t(nt) * 2 * C, 1);
  std::fill(part, part + size_t(nt) * 2 * C, 0.0f);
  pool().parallelFor(N, rowGrain(C), [&](int tid, int64_t n0, int64_t n1) {
    float* pw = part + size_t(tid) * 2 * C;
    layerNormBackwardRows(dout, x, w, mean, rstd, dx, pw, pw + C, n0, n1, C);
  });
  addPartials(dw, part, nt, 2 * C, C);
  addPartials(db, part + C, nt, 2 * C, C);
}

static void rmsNormForwardRows(const float* __restrict x, const float* __restrict w, float* __restrict out,
                               float* __restrict rstd, int64_t n0, int64_t n1, int64_t C, float eps) {
  for (int64_t n = n0; n < n1; n++) {
    const float* __restrict xr = x + n * C;
    float* __restrict o = out + n * C;
    float ss = 0;
#pragma omp simd reduction(+ : ss)
    for (int64_t c = 0; c < C; c++) ss += xr[c] * xr[c];
    const float r = float(1.0 / std::sqrt(double(ss) / double(C) + double(eps)));
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = xr[c] * r * w[c];
    rstd[n] = r;
  }
}

void rmsNormForward(const float* x, const float* w, float* out, float* rstd, int64_t N, int64_t C, float eps) {
  pool().parallelFor(N, rowGrain(C),
                     [&](int, int64_t n0, int64_t n1) { rmsNormForwardRows(x, w, out, rstd, n0, n1, C, eps); });
}

static void rmsNormBackwardRows(const float* __restrict dout, const float* __restrict x, const float* __restrict w,
                                const float* __restrict rstd, float* __restrict dx, float* __restrict pw, int64_t n0,
                                int64_t n1, int64_t C) {
  for (int64_t n = n0; n < n1; n++) {
    const float* __restrict xr = x + n * C;
    const float* __restrict g = dout + n * C;
    float* __restrict d = dx + n * C;
    const float r = rstd[n];
    float sumDX = 0;
#pragma omp simd reduction(+ : sumDX)
    for (int64_t c = 0; c < C; c++) sumDX += g[c] * w[c] * xr[c] * r;
    const float meanDX = sumDX / float(C);
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      const float xhat = xr[c] * r;
      pw[c] += g[c] * xhat;
      d[c] += r * (g[c] * w[c] - xhat * meanDX);
    }
  }
}

void rmsNormBackward(const float* dout, const float* x, const float* w, const float* rstd, float* dx, float* dw,
                     int64_t N, int64_t C) {
  const int nt = threads();
  float* part = scratch(size_t(nt) * C, 1);
  std::fill(part, part + size_t(nt) * C, 0.0f);
  pool().parallelFor(N, rowGrain(C), [&](int tid, int64_t n0, int64_t n1) {
    rmsNormBackwardRows(dout, x, w, rstd, dx, part + size_t(tid) * C, n0, n1, C);
  });
  addPartials(dw, part, nt, C, C);
}

// ---- activations ----------------------------------------------------------------------------------------
// GELU (tanh form) is evaluated as x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), which equals
// 0.5 x (1 + tanh u) exactly but has no cancellation for negative x; 1 - tanh^2 u = 4 s (1 - s).
// No restrict here: in-place calls (out == x, dx == dout) are allowed and each element is read before
// it is written at the same index, which `omp simd` keeps valid.

static constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)

static void geluForwardRange(const float* x, float* out, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = x[i];
    const float u = kGeluC * (v + 0.044715f * v * v * v);
    out[i] = v * fsigmoid(2.0f * u);
  }
}

static void geluBackwardRange(const float* x, const float* dout, float* dx, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = x[i];
    const float u = kGeluC * (v + 0.044715f * v * v * v);
    const float s = fsigmoid(2.0f * u);  // 0.5 (1 + tanh u)
    const float du = kGeluC * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] += dout[i] * (s + 2.0f * v * s * (1.0f - s) * du);
  }
}

static void siluForwardRange(const float* x, float* out, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = x[i];
    out[i] = v * fsigmoid(v);
  }
}

static void siluBackwardRange(const float* x, const float* dout, float* dx, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = x[i];
    const float s = fsigmoid(v);
    dx[i] += dout[i] * s * (1.0f + v * (1.0f - s));
  }
}

void geluForward(const float* x, float* out, int64_t n) {
  pool().parallelFor(n, kGrain, [&](int, int64_t i0, int64_t i1) { geluForwardRange(x, out, i0, i1); });
}
void geluBackward(const float* x, const float* dout, float* dx, int64_t n) {
  pool().parallelFor(n, kGrain, [&](int, int64_t i0, int64_t i1) { geluBackwardRange(x, dout, dx, i0, i1); });
}
void siluForward(const float* x, float* out, int64_t n) {
  pool().parallelFor(n, kGrain, [&](int, int64_t i0, int64_t i1) { siluForwardRange(x, out, i0, i1); });
}
void siluBackward(const float* x, const float* dout, float* dx, int64_t n) {
  pool().parallelFor(n, kGrain, [&](int, int64_t i0, int64_t i1) { siluBackwardRange(x, dout, dx, i0, i1); });
}

// ---- cross-entropy --------------------------------------------------------------------------------------

static void crossEntropyForwardRows(const float* __restrict logits, const int32_t* __restrict targets,
                                    const float* __restrict weights, float* __restrict loss, float* __restrict lse,
                                    int64_t n0, int64_t n1, int64_t V, int32_t ignoreIndex) {
  for (int64_t i = n0; i < n1; i++) {
    const int32_t t = targets[i];
    if (t == ignoreIndex) {
      loss[i] = 0;
      lse[i] = 0;
      continue;
    }
    const float* __restrict l = logits + i * V;
    const float mx = rowMax(l, V);
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < V; j++) s += fexp(l[j] - mx);
    const double lv = double(mx) + std::log(double(s));
    lse[i] = float(lv);
    loss[i] = float((lv - double(l[t])) * (weights ? double(weights[i]) : 1.0));
  }
}

void crossEntropyForward(const float* logits, const int32_t* targets, const float* weights, float* loss, float* lse,
                         int64_t N, int64_t V, int32_t ignoreIndex) {
  pool().parallelFor(N, rowGrain(V), [&](int, int64_t n0, int64_t n1) {
    crossEntropyForwardRows(logits, targets, weights, loss, lse, n0, n1, V, ignoreIndex);
  });
}

static void crossEntropyBackwardRows(const float* __restrict logits, const int32_t* __restrict targets,
                                     const float* __restrict weights, const float* __restrict lse,
                                     const float* __restrict dloss, float* __restrict dlogits, int64_t n0, int64_t n1,
                                     int64_t V, int32_t ignoreIndex) {
  for (int64_t i = n0; i < n1; i++) {
    const int32_t t = targets[i];
    if (t == ignoreIndex) continue;
    const float g = dloss[i] * (weights ? weights[i] : 1.0f);
    if (g == 0.0f) continue;
    const float* __restrict l = logits + i * V;
    float* __restrict d = dlogits + i * V;
    const float li = lse[i];
#pragma omp simd
    for (int64_t j = 0; j < V; j++) d[j] += g * fexp(l[j] - li);
    d[t] -= g;
  }
}

void crossEntropyBackward(const float* logits, const int32_t* targets, const float* weights, const float* lse,
                          const float* dloss, float* dlogits, int64_t N, int64_t V, int32_t ignoreIndex) {
  pool().parallelFor(N, rowGrain(V), [&](int, int64_t n0, int64_t n1) {
    crossEntropyBackwardRows(logits, targets, weights, lse, dloss, dlogits, n0, n1, V, ignoreIndex);
  });
}

// ---- embedding ------------------------------------------------------------------------------------------

void embeddingForward(const float* table, const int32_t* ids, float* out, int64_t n, int64_t C) {
  pool().parallelFor(n, rowGrain(C), [&](int, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) std::memcpy(out + i * C, table + int64_t(ids[i]) * C, size_t(C) * sizeof(float));
  });
}

void embeddingBackward(const float* dout, const int32_t* ids, float* dtable, int64_t n, int64_t C) {
  // split over columns: ids may repeat, so rows of dtable are shared, but columns never are
  const int nt = threads();
  const int64_t minCols = 16;
  if (nt == 1 || n * C < 2 * kGrain || C < 2 * minCols) {
    for (int64_t i = 0; i < n; i++) {
      float* __restrict d = dtable + int64_t(ids[i]) * C;
      const float* __restrict g = dout + i * C;
  #pragma omp simd
      for (int64_t c = 0; c < C; c++) d[c] += g[c];
    }
    return;
  }
  // column ranges rounded to 16 floats (64 bytes) so threads do not share cache lines
  const int64_t chunks = (C + minCols - 1) / minCols;
  pool().parallelFor(chunks, 1, [&](int, int64_t k0, int64_t k1) {
    const int64_t c0 = k0 * minCols, c1 = std::min(C, k1 * minCols);
    for (int64_t i = 0; i < n; i++) {
      float* __restrict d = dtable + int64_t(ids[i]) * C;
      const float* __restrict g = dout + i * C;
  #pragma omp simd
      for (int64_t c = c0; c < c1; c++) d[c] += g[c];
    }
  });
}

// ---- convolution helpers --------------------------------------------------------------------------------

void im2col(const float* x, float* cols, int64_t Cin, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, int64_t Ho, int64_t Wo) {
  const int64_t rows = Cin * kh * kw, HW = Ho * Wo;
  pool().parallelFor(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, HW)), [&](int, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
      float* out = cols + r * HW;
      const float* xc = x + c * H * W;
      for (int64_t oy = 0; oy < Ho; oy++) {
        const int64_t iy = oy * stride - pad + ki;
        float* o = out + oy * Wo;
        if (iy < 0 || iy >= H) {
          std::fill(o, o + Wo, 0.0f);
          continue;
        }
        const float* xr = xc + iy * W;
        for (int64_t ox = 0; ox < Wo; ox++) {
          const int64_t ix = ox * stride - pad + kj;
          o[ox] = (ix >= 0 && ix < W) ? xr[ix] : 0.0f;
        }
      }
    }
  });
}

void col2im(const float* cols, float* x, int64_t Cin, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, int64_t Ho, int64_t Wo) {
  // split over input channels: each channel's plane of x is written by one thread only
  const int64_t HW = Ho * Wo, per = kh * kw * HW;
  pool().parallelFor(Cin, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, per)), [&](int, int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      float* xc = x + c * H * W;
      for (int64_t ki = 0; ki < kh; ki++)
        for (int64_t kj = 0; kj < kw; kj++) {
          const float* in = cols + ((c * kh + ki) * kw + kj) * HW;
          for (int64_t oy = 0; oy < Ho; oy++) {
            const int64_t iy = oy * stride - pad + ki;
            if (iy < 0 || iy >= H) continue;
            float* xr = xc + iy * W;
            const float* ir = in + oy * Wo;
            for (int64_t ox = 0; ox < Wo; ox++) {
              const int64_t ix = ox * stride - pad + kj;
              if (ix >= 0 && ix < W) xr[ix] += ir[ox];
            }
          }
        }
    }
  });
}

// ---- optimiser and helpers ------------------------------------------------------------------------------

static void adamwRange(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                       int64_t i0, int64_t i1, float b1, float b2, float ibc1, float ibc2, float lr, float eps,
                       float wd) {
  const float nb1 = 1.0f - b1, nb2 = 1.0f - b2;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float gi = g[i];
    const float mi = b1 * m[i] + nb1 * gi;
    const float vi = b2 * v[i] + nb2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi * ibc1 / (std::sqrt(vi * ibc2) + eps) + wd * p[i]);
  }
}

void adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double beta1, double beta2, double eps,
           double wd, double step) {
  const float ibc1 = float(1.0 / (1.0 - std::pow(beta1, step)));
  const float ibc2 = float(1.0 / (1.0 - std::pow(beta2, step)));
  pool().parallelFor(n, kGrain, [&](int, int64_t i0, int64_t i1) {
    adamwRange(p, g, m, v, i0, i1, float(beta1), float(beta2), ibc1, ibc2, float(lr), float(eps), float(wd));
  });
}

static void axpyRange(float a, const float* x, float* y, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) y[i] += a * x[i];
}

void axpy(int64_t n, float a, const float* x, float* y) {
  pool().parallelFor(n, 4 * kGrain, [&](int, int64_t i0, int64_t i1) { axpyRange(a, x, y, i0, i1); });
}

static double sumSquaresRange(const float* x, int64_t i0, int64_t i1) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = i0; i < i1; i++) s += double(x[i]) * double(x[i]);
  return s;
}

double sumSquares(const float* x, int64_t n) {
  const int nt = threads();
  if (nt == 1 || n < 8 * kGrain) return sumSquaresRange(x, 0, n);
  double part[256] = {0};
  const int64_t pieces = std::min(nt, 256);
  pool().parallelFor(pieces, 1, [&](int, int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; k++) part[k] = sumSquaresRange(x, n * k / pieces, n * (k + 1) / pieces);
  });
  double s = 0;
  for (int64_t k = 0; k < pieces; k++) s += part[k];
  return s;
}

}  // namespace tessera
