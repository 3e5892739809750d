// Fused causal attention over the packed qkv (B, T, 3C): per (batch, head), the score and output products
// through the one gemm in row blocks of attBlock() (blocks wholly above the diagonal skipped), a masked
// softmax in between; the backward pass recomputes nothing it can read from the saved probabilities. And
// the KV-cached step for inference.
#include <algorithm>
#include <cmath>
#include <limits>

#include "internal.h"
#include "kernels.h"

namespace tessera {

// ---- attention ------------------------------------------------------------------------------------------
// One (batch, head) pair per task, on strided views of qkv (row stride 3C, no copies). Products go through
// single-threaded BLAS in row blocks of attBlock() (TESSERA_ATT_BLOCK), so that causally dead blocks above
// the diagonal are skipped.


static void attentionForwardPair(const float* qkv, const float* keyMask, float* y, float* att, int b, int h, int T,
                                 int H, int hd) {
  const int blk = attBlock();  // read once: it is set at load
  const int C = H * hd, C3 = 3 * C;
  const float scale = 1.0f / std::sqrt(float(hd));
  const float* Q = qkv + int64_t(b) * T * C3 + int64_t(h) * hd;
  const float* K = Q + C;
  const float* V = Q + 2 * C;
  float* A = att + (int64_t(b) * H + h) * T * T;
  float* Y = y + int64_t(b) * T * C + int64_t(h) * hd;
  const float* km = keyMask ? keyMask + int64_t(b) * T : nullptr;
  const float NEG = -std::numeric_limits<float>::infinity();
  // S = scale * Q K^T, lower block triangle only
  for (int r0 = 0; r0 < T; r0 += blk) {
    const int r1 = std::min(T, r0 + blk);
    sgemm1(false, true, r1 - r0, r1, hd, scale, Q + int64_t(r0) * C3, C3, K, C3,
                0.0f, A + int64_t(r0) * T, T);
  }
  // masked row softmax
  for (int t = 0; t < T; t++) {
    float* __restrict row = A + int64_t(t) * T;
    if (km)
      for (int s = 0; s <= t; s++)
        if (km[s] == 0.0f) row[s] = NEG;
    const float mx = rowMax(row, t + 1);
    if (mx == NEG) {  // every key masked: zeros
      std::fill(row, row + T, 0.0f);
      continue;
    }
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int s = 0; s <= t; s++) {
      const float e = fexp(row[s] - mx);
      row[s] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int s = 0; s <= t; s++) row[s] *= inv;
    std::fill(row + t + 1, row + T, 0.0f);
  }
  // Y = P V
  for (int r0 = 0; r0 < T; r0 += blk) {
    const int r1 = std::min(T, r0 + blk);
    sgemm1(false, false, r1 - r0, hd, r1, 1.0f, A + int64_t(r0) * T, T, V, C3, 0.0f,
                Y + int64_t(r0) * C, C);
  }
}

static void attentionBackwardPair(const float* dy, const float* qkv, const float* att, float* dqkv, int b, int h, int T,
                                  int H, int hd) {
  const int blk = attBlock();  // read once: it is set at load
  const int C = H * hd, C3 = 3 * C;
  const float scale = 1.0f / std::sqrt(float(hd));
  const int64_t base = int64_t(b) * T * C3 + int64_t(h) * hd;
  const float* Q = qkv + base;
  const float* K = Q + C;
  const float* V = Q + 2 * C;
  float* dQ = dqkv + base;
  float* dK = dQ + C;
  float* dV = dQ + 2 * C;
  const float* A = att + (int64_t(b) * H + h) * T * T;
  const float* dY = dy + int64_t(b) * T * C + int64_t(h) * hd;
  float* S = scratch(size_t(T) * T);
  // dP = dY V^T (lower block triangle)
  for (int r0 = 0; r0 < T; r0 += blk) {
    const int r1 = std::min(T, r0 + blk);
    sgemm1(false, true, r1 - r0, r1, hd, 1.0f, dY + int64_t(r0) * C, C, V, C3, 0.0f,
                S + int64_t(r0) * T, T);
  }
  // dV += P^T dY: keys [c0, c1) get contributions from queries t >= c0 (P is zero above the diagonal)
  for (int c0 = 0; c0 < T; c0 += blk) {
    const int c1 = std::min(T, c0 + blk);
    sgemm1(true, false, c1 - c0, hd, T - c0, 1.0f, A + int64_t(c0) * T + c0, T,
                dY + int64_t(c0) * C, C, 1.0f, dV + int64_t(c0) * C3, C3);
  }
  // dS = P * (dP - rowsum(P * dP)) * scale, zero above the diagonal inside the computed block
  for (int t = 0; t < T; t++) {
    const float* __restrict p = A + int64_t(t) * T;
    float* __restrict d = S + int64_t(t) * T;
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int s = 0; s <= t; s++) dot += p[s] * d[s];
#pragma omp simd
    for (int s = 0; s <= t; s++) d[s] = p[s] * (d[s] - dot) * scale;
    const int end = std::min(T, (t / blk + 1) * blk);
    std::fill(d + t + 1, d + end, 0.0f);
  }
  // dQ += dS K
  for (int r0 = 0; r0 < T; r0 += blk) {
    const int r1 = std::min(T, r0 + blk);
    sgemm1(false, false, r1 - r0, hd, r1, 1.0f, S + int64_t(r0) * T, T, K, C3, 1.0f,
                dQ + int64_t(r0) * C3, C3);
  }
  // dK += dS^T Q
  for (int c0 = 0; c0 < T; c0 += blk) {
    const int c1 = std::min(T, c0 + blk);
    sgemm1(true, false, c1 - c0, hd, T - c0, 1.0f, S + int64_t(c0) * T + c0, T,
                Q + int64_t(c0) * C3, C3, 1.0f, dK + int64_t(c0) * C3, C3);
  }
}

void attentionForward(const float* qkv, const float* keyMask, float* y, float* att, int B, int T, int H, int hd) {
  if (B == 0 || T == 0 || H == 0) return;  // hd >= 1 is checked by the binding
  BlasSingleThread single;
  pool().parallelFor(int64_t(B) * H, 1, [&](int, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++)
      attentionForwardPair(qkv, keyMask, y, att, int(p / H), int(p % H), T, H, hd);
  });
}

void attentionBackward(const float* dy, const float* qkv, const float* att, float* dqkv, int B, int T, int H, int hd) {
  if (B == 0 || T == 0 || H == 0 || hd == 0) return;
  BlasSingleThread single;
  pool().parallelFor(int64_t(B) * H, 1, [&](int, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) attentionBackwardPair(dy, qkv, att, dqkv, int(p / H), int(p % H), T, H, hd);
  });
}

void attentionCached(const float* q, const float* kCache, const float* vCache, const float* keyMask, float* y, int B,
                     int Tq, int tk, int Tmax, int H, int hd) {
  const int C = H * hd;
  const float scale = 1.0f / std::sqrt(float(hd));
  const float NEG = -std::numeric_limits<float>::infinity();
  const int64_t work = int64_t(B) * H * Tq * tk * std::max(1, hd);
  pool().parallelFor(int64_t(B) * H, work >= 4 * kGrain ? 1 : int64_t(B) * H, [&](int, int64_t p0, int64_t p1) {
    float* p = scratch(size_t(std::max(tk, 1)));
    for (int64_t pair = p0; pair < p1; pair++) {
      const int b = int(pair / H), h = int(pair % H);
      const float* km = keyMask ? keyMask + int64_t(b) * Tmax : nullptr;
      for (int i = 0; i < Tq; i++) {
        const int pos = tk - Tq + i;
        const float* __restrict qv = q + (int64_t(b) * Tq + i) * C + int64_t(h) * hd;
        float* __restrict yo = y + (int64_t(b) * Tq + i) * C + int64_t(h) * hd;
        float mx = NEG;
        for (int s = 0; s <= pos; s++) {
          if (km && km[s] == 0.0f) {
            p[s] = NEG;
            continue;
          }
          const float* __restrict kv = kCache + (int64_t(b) * Tmax + s) * C + int64_t(h) * hd;
          float dot = 0;
#pragma omp simd reduction(+ : dot)
          for (int d = 0; d < hd; d++) dot += qv[d] * kv[d];
          p[s] = dot * scale;
          mx = std::max(mx, p[s]);
        }
        std::fill(yo, yo + hd, 0.0f);
        if (mx == NEG) continue;
        float sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int s = 0; s <= pos; s++) {
          const float e = fexp(p[s] - mx);
          p[s] = e;
          sum += e;
        }
        const float inv = 1.0f / sum;
        for (int s = 0; s <= pos; s++) {
          const float w = p[s] * inv;
          if (w == 0.0f) continue;
          const float* __restrict vv = vCache + (int64_t(b) * Tmax + s) * C + int64_t(h) * hd;
#pragma omp simd
          for (int d = 0; d < hd; d++) yo[d] += w * vv[d];
        }
      }
    }
  });
}

}  // namespace tessera
