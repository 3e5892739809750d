// The kernels' runtime and the matrix product: the persistent thread pool (pool.h), the BLAS or our own
// gemm (gemm.cc) behind one entry (sgemm1), how products are split over the pool, per-thread scratch, and
// what the build and the selection say about themselves. The other kernels are in elementwise.cc and
// attention.cc; their loops are written so that GCC/Clang vectorise them (-O3 -march=native,
// -fno-trapping-math; reductions via `omp simd`, enabled by -fopenmp-simd, which needs no OpenMP runtime).
//
// Environment knobs (read once at load): TESSERA_THREADS (pool size, default: hardware threads),
// TESSERA_SPIN_US (how long idle helpers spin before sleeping, default 50), TESSERA_GEMM_SPLIT=0 (let
// OpenBLAS thread large products itself instead of splitting them over the pool), TESSERA_SMALL_GEMM (batched
// items up to this many multiply-adds run one per thread), TESSERA_ATT_BLOCK (attention row block, 64),
// TESSERA_GEMM=own (our gemm in a BLAS build), TESSERA_SKINNY_ROWS (few-row products' streaming kernel, 8).
#include "kernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "internal.h"

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
void sgemm1(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
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

ThreadPool& pool() { return *gPool; }

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

BlasSingleThread::BlasSingleThread() {
  if (!gSplitGemm) setBlasThreads(1);
}
BlasSingleThread::~BlasSingleThread() {
  if (!gSplitGemm) setBlasThreads(threads());
}

float* scratch(size_t n, int slot) {
  static thread_local std::vector<float> bufs[2];
  std::vector<float>& b = bufs[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

int attBlock() { return kAttBlock; }

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

}  // namespace tessera
