// Internals shared by the kernel files (kernels.cc: the runtime and gemm; elementwise.cc; attention.cc):
// the thread pool, per-thread scratch, the one matrix-product entry, work grains, and fast float math
// written so that GCC vectorises loops over it. Not part of the addon's interface (kernels.h is).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "pool.h"

namespace tessera {

ThreadPool& pool();
int threads();
// Per-thread scratch (each pool worker keeps its own; grows, never shrinks).
float* scratch(size_t n, int slot = 0);
// The one matrix product every kernel calls (the BLAS, or our own gemm), row-major, on the calling thread.
void sgemm1(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
            int ldb, float beta, float* C, int ldc);
// Attention row block (TESSERA_ATT_BLOCK).
int attBlock();

// While alive, BLAS calls run single-threaded (used when our own threads each call BLAS).
struct BlasSingleThread {
  BlasSingleThread();
  ~BlasSingleThread();
};

// Elementwise work below this many items runs on the calling thread only.
constexpr int64_t kGrain = 16384;

// Rows per piece so that each piece has about kGrain elements.
inline int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, C)); }

// ---- fast math ------------------------------------------------------------------------------------------

inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// exp(x) for float, about 1-2 ulp (Cephes polynomial), branch-free so loops over it vectorise.
// Returns exactly 0 for x < -87 (so exp(-inf) = 0), saturates near 2^127 for x > 88.3, NaN stays NaN.
inline float fexp(float x) {
  float xc = std::max(x, -87.0f);
  xc = std::min(xc, 88.3f);
  const float t = xc * 1.44269504088896341f;
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to the nearest integer
  const float ts = t + shifter;
  const float fx = ts - shifter;
  const int32_t n = static_cast<int32_t>(floatToBits(ts) - floatToBits(shifter));
  float r = xc - fx * 0.693359375f;
  r = r + fx * 2.12194440e-4f;
  const float z = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const float p2 = bitsToFloat(static_cast<uint32_t>(n + 127) << 23);
  const float res = y * p2;
  return x < -87.0f ? 0.0f : res;
}

// 1 / (1 + exp(-x)), exactly 0 when exp(-x) would overflow (avoids denormals).
inline float fsigmoid(float x) {
  const float e = fexp(-x);
  const float s = 1.0f / (1.0f + e);
  return x < -87.0f ? 0.0f : s;
}

// max of x[0..n) (-inf when n == 0). Written as 16 independent lanes because GCC leaves a
// `reduction(max:)` loop scalar.
inline float rowMax(const float* __restrict x, int64_t n) {
  float lane[16];
  for (int k = 0; k < 16; k++) lane[k] = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int k = 0; k < 16; k++) lane[k] = x[j + k] > lane[k] ? x[j + k] : lane[k];
  float mx = -std::numeric_limits<float>::infinity();
  for (int k = 0; k < 16; k++) mx = lane[k] > mx ? lane[k] : mx;
  for (; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  return mx;
}

}  // namespace tessera
