// Our own cache-blocked SIMD gemm (gemm.cc): the compiler-only build's matrix product, and a measured
// alternative to the OS BLAS in the BLAS build (TESSERA_GEMM=own).
#pragma once

#include <cstdint>

namespace tessera {

// Row-major C = alpha * op(A) op(B) + beta * C on the calling thread (op = transpose when asked); the
// CBLAS row-major contract, so it can stand in for cblas_sgemm. beta == 0 never reads C.
void ownSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
              int ldb, float beta, float* C, int ldc);

// Row-major C[:, n0..n1) = alpha * A B^T + beta * C for few rows M (A is M x K, B is N x K): streams B once,
// no packing. For inference's few-rows products; single-threaded, the caller splits the columns.
void skinnySgemmNT(int M, int n0, int n1, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                   float beta, float* C, int ldc);

// The instruction set the micro-kernel was compiled for ("avx512", "avx2+fma", "generic 128-bit vectors").
const char* ownGemmIsa();

// Runs `iters` rounds of 12 independent vector FMAs on the calling thread; returns the flops done.
double fmaPeakFlops(int64_t iters);

}  // namespace tessera
