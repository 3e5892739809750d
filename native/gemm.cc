// Our own single-precision gemm, for machines without a BLAS (the compiler-only build) and as a measured
// alternative to one (TESSERA_GEMM=own). Written by hand because the point is to need nothing but a C++
// compiler: the Goto/BLIS layout (pack a KC x NC panel of B and an MC x KC block of A into contiguous
// slivers, then an MR x NR register-tile micro-kernel streams through them), compiled with -march=native
// for the machine that installs it. The micro-kernel uses AVX-512 or AVX2+FMA intrinsics where the compiler
// targets them, and GCC vector extensions elsewhere (SSE, NEON), so it builds everywhere.
//
// Single-threaded by design: kernels.cc splits large products over its own pool, exactly as it does for
// BLAS. Packing buffers are per thread.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace tessera {

namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
using V = __m512;
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
inline V vbcast(float x) { return _mm512_set1_ps(x); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }  // a * b + c
inline V vzero() { return _mm512_setzero_ps(); }
constexpr const char* kIsa = "avx512";
constexpr int MR = 12;
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8;
using V = __m256;
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
inline V vbcast(float x) { return _mm256_set1_ps(x); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vzero() { return _mm256_setzero_ps(); }
constexpr const char* kIsa = "avx2+fma";
constexpr int MR = 6;
#else
constexpr int kLanes = 4;
typedef float V __attribute__((vector_size(16)));
inline V vload(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void vstore(float* p, V v) { std::memcpy(p, &v, sizeof v); }
inline V vbcast(float x) { return V{x, x, x, x}; }
inline V vfma(V a, V b, V c) { return a * b + c; }
inline V vzero() { return V{0, 0, 0, 0}; }
constexpr const char* kIsa = "generic 128-bit vectors";
constexpr int MR = 6;
#endif

constexpr int NR = 2 * kLanes;           // a register tile is MR rows x 2 vectors
constexpr int KC = 256;                  // depth of a packed panel (an A sliver + a B sliver stay in L1)
constexpr int MC = MR * (kLanes == 16 ? 10 : 20);  // rows of A packed at once (an MC x KC block fits L2)
constexpr int NC = NR * 192;             // columns of B packed at once

// Aligned, growing, per-thread scratch for the packed panels.
struct Buffer {
  float* p = nullptr;
  size_t n = 0;
  float* get(size_t want) {
    if (want > n) {
      std::free(p);
      n = want;
      p = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64));
    }
    return p;
  }
  ~Buffer() { std::free(p); }
};

// Packs op(A)[i0 .. i0+mc, k0 .. k0+kc) into MR-row slivers: sliver s holds, for each k, MR values.
// Rows past mc are zero.
void packA(bool transA, const float* A, int lda, int i0, int mc, int k0, int kc, float* dst) {
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    if (!transA) {
      for (int i = 0; i < rows; i++) {
        const float* src = A + int64_t(i0 + s + i) * lda + k0;
        for (int k = 0; k < kc; k++) dst[k * MR + i] = src[k];
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float* src = A + int64_t(k0 + k) * lda + i0 + s;
        for (int i = 0; i < rows; i++) dst[k * MR + i] = src[i];
      }
    }
    if (rows < MR)
      for (int k = 0; k < kc; k++)
        for (int i = rows; i < MR; i++) dst[k * MR + i] = 0.0f;
    dst += kc * MR;
  }
}

// Packs op(B)[k0 .. k0+kc, j0 .. j0+nc) into NR-column slivers: sliver s holds, for each k, NR values.
// Columns past nc are zero.
void packB(bool transB, const float* B, int ldb, int k0, int kc, int j0, int nc, float* dst) {
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    if (!transB) {
      for (int k = 0; k < kc; k++) {
        const float* src = B + int64_t(k0 + k) * ldb + j0 + s;
        float* d = dst + k * NR;
        if (cols == NR)
          std::memcpy(d, src, NR * sizeof(float));
        else {
          for (int j = 0; j < cols; j++) d[j] = src[j];
          for (int j = cols; j < NR; j++) d[j] = 0.0f;
        }
      }
    } else {
      for (int j = 0; j < cols; j++) {
        const float* src = B + int64_t(j0 + s + j) * ldb + k0;
        for (int k = 0; k < kc; k++) dst[k * NR + j] = src[k];
      }
      for (int j = cols; j < NR; j++)
        for (int k = 0; k < kc; k++) dst[k * NR + j] = 0.0f;
    }
    dst += kc * NR;
  }
}

// acc = sum over k of a-sliver (MR values per k) x b-sliver (NR values per k); then
// C[0..mr, 0..nr) = alpha * acc + beta * C (first panel) or C += alpha * acc (later panels).
// beta == 0 never reads C (so NaNs in an uninitialised C do not leak).
void micro(int kc, const float* __restrict a, const float* __restrict b, float* C, int64_t ldc, int mr, int nr,
           float alpha, float beta, bool first) {
  V acc0[MR], acc1[MR];
  for (int i = 0; i < MR; i++) acc0[i] = acc1[i] = vzero();
  for (int k = 0; k < kc; k++) {
    const V b0 = vload(b), b1 = vload(b + kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V ai = vbcast(a[i]);
      acc0[i] = vfma(ai, b0, acc0[i]);
      acc1[i] = vfma(ai, b1, acc1[i]);
    }
    a += MR;
    b += NR;
  }
  const V va = vbcast(alpha), vb = vbcast(beta);
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; i++) {
      float* c = C + i * ldc;
      V r0 = acc0[i] * va, r1 = acc1[i] * va;
      if (!first) {
        r0 = r0 + vload(c);
        r1 = r1 + vload(c + kLanes);
      } else if (beta != 0.0f) {
        r0 = vfma(vb, vload(c), r0);
        r1 = vfma(vb, vload(c + kLanes), r1);
      }
      vstore(c, r0);
      vstore(c + kLanes, r1);
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; i++) {
    vstore(tile + i * NR, acc0[i] * va);
    vstore(tile + i * NR + kLanes, acc1[i] * va);
  }
  for (int i = 0; i < mr; i++) {
    float* c = C + i * ldc;
    const float* t = tile + i * NR;
    if (!first)
      for (int j = 0; j < nr; j++) c[j] += t[j];
    else if (beta != 0.0f)
      for (int j = 0; j < nr; j++) c[j] = t[j] + beta * c[j];
    else
      for (int j = 0; j < nr; j++) c[j] = t[j];
  }
}

}  // namespace

const char* ownGemmIsa() { return kIsa; }

void ownSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
              int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    for (int i = 0; i < M; i++) {
      float* c = C + int64_t(i) * ldc;
      if (beta == 0.0f)
        std::fill(c, c + N, 0.0f);
      else
        for (int j = 0; j < N; j++) c[j] *= beta;
    }
    return;
  }
  static thread_local Buffer bufA, bufB;
  float* pa = bufA.get(size_t(MC) * KC);
  float* pb = bufB.get(size_t(std::min(NC, (N + NR - 1) / NR * NR)) * KC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool first = pc == 0;
      packB(transB, B, ldb, pc, kc, jc, nc, pb);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        packA(transA, A, lda, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          const float* b = pb + int64_t(jr / NR) * kc * NR;
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            const float* a = pa + int64_t(ir / MR) * kc * MR;
            micro(kc, a, b, C + int64_t(ic + ir) * ldc + jc + jr, ldc, std::min(MR, mc - ir), nr, alpha, beta,
                  first);
          }
        }
      }
    }
  }
}

// Few rows times a transposed weight matrix (y = x W^T: inference, a handful of rows per step): each
// output column is M dot products over one contiguous row of B, so B streams through once with no packing.
// Columns [n0, n1) only (the caller splits them over threads).
void skinnySgemmNT(int M, int n0, int n1, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                   float beta, float* C, int ldc) {
  constexpr int kMaxM = 8;
  for (int n = n0; n < n1; n++) {
    const float* b = B + int64_t(n) * ldb;
    for (int m0 = 0; m0 < M; m0 += kMaxM) {
      const int mc = std::min(kMaxM, M - m0);
      V acc[kMaxM];
      for (int i = 0; i < kMaxM; i++) acc[i] = vzero();
      int k = 0;
      for (; k + kLanes <= K; k += kLanes) {
        const V bv = vload(b + k);
        for (int i = 0; i < mc; i++) acc[i] = vfma(vload(A + int64_t(m0 + i) * lda + k), bv, acc[i]);
      }
      for (int i = 0; i < mc; i++) {
        alignas(64) float lane[kLanes];
        vstore(lane, acc[i]);
        float sum = 0;
        for (int j = 0; j < kLanes; j++) sum += lane[j];
        const float* a = A + int64_t(m0 + i) * lda;
        for (int kk = k; kk < K; kk++) sum += a[kk] * b[kk];
        float* c = C + int64_t(m0 + i) * ldc + n;
        *c = beta == 0.0f ? alpha * sum : alpha * sum + beta * *c;
      }
    }
  }
}

// A loop of independent FMAs on registers: what the core can do at most (for `tessera doctor` and the gemm
// bench). 12 accumulators hide the FMA latency on every core we know of.
double fmaPeakFlops(int64_t iters) {
  V acc[12];
  for (int i = 0; i < 12; i++) acc[i] = vbcast(1.0f + i * 1e-3f);
  const V m = vbcast(0.9999999f), add = vbcast(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = vfma(acc[i], m, add);
  }
  float sink = 0;
  alignas(64) float tmp[kLanes];
  for (int i = 0; i < 12; i++) {
    vstore(tmp, acc[i]);
    sink += tmp[0];
  }
  // returned so that the loop cannot be removed; the caller only needs the flop count
  return double(iters) * 12 * kLanes * 2 + (sink == 12345.0f ? 1 : 0);
}

}  // namespace tessera
