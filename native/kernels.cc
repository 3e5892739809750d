// Kernel implementations: BLAS for matrix products, a persistent thread pool (pool.h) for everything else,
// loops written so that GCC/Clang vectorise them (-O3 -march=native; reductions via `omp simd`, enabled by
// -fopenmp-simd, which needs no OpenMP runtime).
//
// Environment knobs (read once at load): TESSERA_THREADS (pool size, default: hardware threads),
// TESSERA_SPIN_US (how long idle helpers spin before sleeping, default 50), TESSERA_GEMM_SPLIT=0 (let
// OpenBLAS thread large products itself instead of splitting them over the pool), TESSERA_SMALL_GEMM (batched
// items up to this many multiply-adds run one per thread), TESSERA_ATT_BLOCK (attention row block, 64).
#include "kernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "pool.h"

#include "gemm.h"

// The build picks the BLAS (binding.gyp): TESSERA_ACCELERATE (macOS), TESSERA_BLIS, TESSERA_NO_BLAS (the
// compiler-only build: our own gemm only); otherwise OpenBLAS.
#if defined(TESSERA_ACCELERATE)
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
#elif defined(TESSERA_BLIS)
#include <blis.h>
#include <cblas.h>
#elif !defined(TESSERA_NO_BLAS)
#include <cblas.h>
#endif

namespace tessera {

// ---- pool, BLAS threads, scratch ------------------------------------------------------------------------

// Batched products whose items are at most this many multiply-adds run one item per thread with
// single-threaded BLAS (measured with bench/kernels.ts).
static double kSmallGemm = 4.0 * 1024 * 1024;  // TESSERA_SMALL_GEMM overrides, for tuning
// gemm threading: by default OpenBLAS runs single-threaded and large products are split over our own
// pool (so OpenBLAS's idle threads never spin against our kernels on a small machine).
// TESSERA_GEMM_SPLIT=0 hands threading back to OpenBLAS (for comparison).
static bool gSplitGemm = true;
// Products with at least this many multiply-adds are split over the pool (when gSplitGemm).
static constexpr double kSplitGemm = 256.0 * 1024;
// Products with at most this many rows and a transposed B (inference: y = x W^T for a few rows) use the
// streaming kernel in gemm.cc instead of the BLAS (measured: 3-5x on the sampler's products).
static int kSkinnyRows = 8;  // TESSERA_SKINNY_ROWS overrides (0 turns it off), for tuning
static int kAttBlock = 64;  // attention row block (TESSERA_ATT_BLOCK overrides, for tuning)
static ThreadPool* gPool = nullptr;  // created once, never destroyed (helper threads sleep until exit)
static std::once_flag gInit;

static void setBlasThreads(int n) {
#if defined(TESSERA_BLIS)
  bli_thread_set_num_threads(n);
#elif !defined(TESSERA_ACCELERATE) && !defined(TESSERA_NO_BLAS)
  openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

// The one matrix product every kernel calls: the BLAS, or our own gemm (the compiler-only build, or
// TESSERA_GEMM=own in a BLAS build, for comparison).
using SgemmFn = void (*)(bool, bool, int, int, int, float, const float*, int, const float*, int, float, float*, int);
#if defined(TESSERA_NO_BLAS)
static constexpr bool kHaveBlas = false;
static SgemmFn gSgemm = ownSgemm;
#else
static constexpr bool kHaveBlas = true;
static void blasSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                      const float* B, int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}
static SgemmFn gSgemm = blasSgemm;
#endif
static inline void sgemm1(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                          const float* B, int ldb, float beta, float* C, int ldc) {
  gSgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void init(int threads) {
  std::call_once(gInit, [threads] {
    int spin = 50;
    if (const char* s = std::getenv("TESSERA_SPIN_US")) spin = std::atoi(s);
    gPool = new ThreadPool(threads, spin);
    if (const char* s = std::getenv("TESSERA_ATT_BLOCK")) kAttBlock = std::max(1, std::atoi(s));
    if (const char* s = std::getenv("TESSERA_SKINNY_ROWS")) kSkinnyRows = std::max(0, std::atoi(s));
    if (const char* s = std::getenv("TESSERA_SMALL_GEMM")) kSmallGemm = std::atof(s);
    if (const char* s = std::getenv("TESSERA_GEMM_SPLIT")) gSplitGemm = std::atoi(s) != 0;
    if (const char* s = std::getenv("TESSERA_GEMM"); s && std::string(s) == "own") gSgemm = ownSgemm;
    if (gSgemm == ownSgemm) gSplitGemm = true;  // our gemm is single-threaded: the pool splits it
    setBlasThreads(gSplitGemm ? 1 : gPool->size());
  });
}

int threads() { return gPool ? gPool->size() : 1; }

static ThreadPool& pool() { return *gPool; }

std::string blasName() {
#if defined(TESSERA_ACCELERATE)
  return "Accelerate";
#elif defined(TESSERA_BLIS)
  return std::string("BLIS ") + bli_info_get_version_str() + " (" + bli_arch_string(bli_arch_query_id()) + ")";
#elif defined(TESSERA_NO_BLAS)
  return "none";
#else
  std::string s = openblas_get_config();
  while (!s.empty() && s.back() == ' ') s.pop_back();
  int par = openblas_get_parallel();
  s += par == 0 ? " (sequential)" : par == 1 ? " (pthread)" : " (openmp)";
  return s;
#endif
}

std::string blasCore() {
#if !defined(TESSERA_ACCELERATE) && !defined(TESSERA_BLIS) && !defined(TESSERA_NO_BLAS)
  return openblas_get_corename();
#elif defined(TESSERA_BLIS)
  return bli_arch_string(bli_arch_query_id());
#else
  return "";
#endif
}

std::string buildName() {
#if defined(TESSERA_NO_BLAS)
  return "compiler-only";
#elif defined(TESSERA_BLIS)
  return "blis";
#elif defined(TESSERA_ACCELERATE)
  return "accelerate";
#else
  return "openblas";
#endif
}

std::string gemmName() {
  if (gSgemm == ownSgemm) return std::string("own (") + ownGemmIsa() + ")";
  return kHaveBlas ? blasName() : "own";
}

double peakGflops(double seconds) {
  // every pool thread runs the FMA loop at once; the slowest thread's time sets the rate
  const int nt = threads();
  std::vector<double> flops(nt, 0.0), secs(nt, 0.0);
  pool().parallelFor(nt, 1, [&](int, int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      int64_t iters = 1 << 16;
      for (;;) {
        const auto start = std::chrono::steady_clock::now();
        const double f = fmaPeakFlops(iters);
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (dt >= seconds || iters > (int64_t(1) << 40)) {
          flops[t] = f;
          secs[t] = dt;
          break;
        }
        iters *= 2;
      }
    }
  });
  double total = 0;
  for (int t = 0; t < nt; t++) total += flops[t] / secs[t];
  return total / 1e9;
}

// While alive, BLAS calls run single-threaded (used when our own threads each call BLAS).
struct BlasSingleThread {
  BlasSingleThread() {
    if (!gSplitGemm) setBlasThreads(1);
  }
  ~BlasSingleThread() {
    if (!gSplitGemm) setBlasThreads(threads());
  }
};

// Per-thread scratch (each pool worker keeps its own; grows, never shrinks).
static float* scratch(size_t n, int slot = 0) {
  static thread_local std::vector<float> bufs[2];
  std::vector<float>& b = bufs[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Elementwise work below this many items runs on the calling thread only.
static constexpr int64_t kGrain = 16384;

// Rows per piece so that each piece has about kGrain elements.
static inline int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, C)); }

// ---- fast math ------------------------------------------------------------------------------------------

static inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// exp(x) for float, about 1-2 ulp (Cephes polynomial), branch-free so loops over it vectorise.
// Returns exactly 0 for x < -87 (so exp(-inf) = 0), saturates near 2^127 for x > 88.3, NaN stays NaN.
static inline float fexp(float x) {
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
static inline float fsigmoid(float x) {
  const float e = fexp(-x);
  const float s = 1.0f / (1.0f + e);
  return x < -87.0f ? 0.0f : s;
}

// max of x[0..n) (-inf when n == 0). Written as 16 independent lanes because GCC leaves a
// `reduction(max:)` loop scalar.
static inline float rowMax(const float* __restrict x, int64_t n) {
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

// ---- gemm -----------------------------------------------------------------------------------------------


void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, int64_t strideA,
          const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc, int64_t strideC, int64_t batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  if (K == 0) {  // C = beta * C
    for (int64_t bi = 0; bi < batch; bi++)
      for (int i = 0; i < M; i++) {
        float* c = C + bi * strideC + int64_t(i) * ldc;
        if (beta == 0.0f)
          std::fill(c, c + N, 0.0f);
        else
          for (int j = 0; j < N; j++) c[j] *= beta;
      }
    return;
  }
  auto one = [&](int64_t bi) {
    sgemm1(transA, transB, M, N, K, alpha, A + bi * strideA, lda, B + bi * strideB, ldb, beta,
                C + bi * strideC, ldc);
  };
  const int nt = threads();
  const double macs = double(M) * N * K;
  if (M <= kSkinnyRows && transB && !transA) {
    // few rows times a transposed matrix (inference): stream B once per item, columns split over the pool
    for (int64_t bi = 0; bi < batch; bi++) {
      const float* a = A + bi * strideA;
      const float* b = B + bi * strideB;
      float* c = C + bi * strideC;
      const int64_t grain = std::max<int64_t>(16, int64_t(kSplitGemm / (double(M) * K + 1)));
      if (nt == 1 || macs < kSplitGemm)
        skinnySgemmNT(M, 0, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
      else
        pool().parallelFor(N, grain, [&](int, int64_t n0, int64_t n1) {
          skinnySgemmNT(M, int(n0), int(n1), K, alpha, a, lda, b, ldb, beta, c, ldc);
        });
    }
    return;
  }
  const bool overlapC = strideC < int64_t(M - 1) * ldc + N;  // items write overlapping C: keep them in order
  if (batch > 1 && nt > 1 && !overlapC && macs <= kSmallGemm) {
    // many small products: one item per thread, single-threaded BLAS
    BlasSingleThread single;
    pool().parallelFor(batch, 1, [&](int, int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; bi++) one(bi);
    });
    return;
  }
  if (!gSplitGemm || nt == 1 || macs < kSplitGemm) {
    for (int64_t bi = 0; bi < batch; bi++) one(bi);
    return;
  }
  // one large product at a time, its rows (or columns, when N > M) split in blocks of 16 over the pool
  const bool splitRows = M >= N;
  const int64_t len = splitRows ? M : N;
  const int64_t blocks = (len + 15) / 16;
  for (int64_t bi = 0; bi < batch; bi++) {
    const float* a = A + bi * strideA;
    const float* b = B + bi * strideB;
    float* c = C + bi * strideC;
    pool().parallelFor(blocks, 1, [&](int, int64_t k0, int64_t k1) {
      const int64_t p0 = k0 * 16, p1 = std::min(len, k1 * 16);
      const int cnt = int(p1 - p0);
      if (splitRows)
        sgemm1(transA, transB, cnt, N, K, alpha, transA ? a + p0 : a + p0 * lda, lda, b, ldb, beta,
                    c + p0 * ldc, ldc);
      else
        sgemm1(transA, transB, M, cnt, K, alpha, a, lda, transB ? b + p0 * ldb : b + p0, ldb, beta,
                    c + p0, ldc);
    });
  }
}

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

// ---- attention ------------------------------------------------------------------------------------------
// One (batch, head) pair per task, on strided views of qkv (row stride 3C, no copies). Products go through
// single-threaded BLAS in row blocks of kAttBlock so that causally dead blocks above the diagonal are skipped.


static void attentionForwardPair(const float* qkv, const float* keyMask, float* y, float* att, int b, int h, int T,
                                 int H, int hd) {
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
  for (int r0 = 0; r0 < T; r0 += kAttBlock) {
    const int r1 = std::min(T, r0 + kAttBlock);
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
  for (int r0 = 0; r0 < T; r0 += kAttBlock) {
    const int r1 = std::min(T, r0 + kAttBlock);
    sgemm1(false, false, r1 - r0, hd, r1, 1.0f, A + int64_t(r0) * T, T, V, C3, 0.0f,
                Y + int64_t(r0) * C, C);
  }
}

static void attentionBackwardPair(const float* dy, const float* qkv, const float* att, float* dqkv, int b, int h, int T,
                                  int H, int hd) {
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
  for (int r0 = 0; r0 < T; r0 += kAttBlock) {
    const int r1 = std::min(T, r0 + kAttBlock);
    sgemm1(false, true, r1 - r0, r1, hd, 1.0f, dY + int64_t(r0) * C, C, V, C3, 0.0f,
                S + int64_t(r0) * T, T);
  }
  // dV += P^T dY: keys [c0, c1) get contributions from queries t >= c0 (P is zero above the diagonal)
  for (int c0 = 0; c0 < T; c0 += kAttBlock) {
    const int c1 = std::min(T, c0 + kAttBlock);
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
    const int end = std::min(T, (t / kAttBlock + 1) * kAttBlock);
    std::fill(d + t + 1, d + end, 0.0f);
  }
  // dQ += dS K
  for (int r0 = 0; r0 < T; r0 += kAttBlock) {
    const int r1 = std::min(T, r0 + kAttBlock);
    sgemm1(false, false, r1 - r0, hd, r1, 1.0f, S + int64_t(r0) * T, T, K, C3, 1.0f,
                dQ + int64_t(r0) * C3, C3);
  }
  // dK += dS^T Q
  for (int c0 = 0; c0 < T; c0 += kAttBlock) {
    const int c1 = std::min(T, c0 + kAttBlock);
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
