// The C++ kernels behind the N-API bindings in tessera.cc. Same contracts as src/tensor/kernels/types.ts:
// forward kernels overwrite their outputs, backward kernels accumulate (+=) into gradients. Arguments are
// validated by the bindings before these are called; these functions trust their inputs.
#pragma once

#include <cstdint>
#include <string>

namespace tessera {

void init(int threads);  // creates the pool and sets the BLAS thread count; idempotent
int threads();
std::string blasName();
std::string blasCore();   // the BLAS's kernel family for this CPU (OpenBLAS core name, BLIS arch), or ""
std::string buildName();  // "openblas", "blis", "accelerate", or "compiler-only"
std::string gemmName();   // what gemm() calls: the BLAS, or our own gemm and its instruction set
double peakGflops(double seconds);  // measured FMA peak of all pool threads at once

void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, int64_t strideA,
          const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc, int64_t strideC, int64_t batch);

void addBias(float* out, const float* bias, int64_t N, int64_t C);
void biasBackward(const float* dout, float* dbias, int64_t N, int64_t C);

void layerNormForward(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd, int64_t N,
                      int64_t C, float eps);
void layerNormBackward(const float* dout, const float* x, const float* w, const float* mean, const float* rstd,
                       float* dx, float* dw, float* db, int64_t N, int64_t C);
void rmsNormForward(const float* x, const float* w, float* out, float* rstd, int64_t N, int64_t C, float eps);
void rmsNormBackward(const float* dout, const float* x, const float* w, const float* rstd, float* dx, float* dw,
                     int64_t N, int64_t C);

void geluForward(const float* x, float* out, int64_t n);
void geluBackward(const float* x, const float* dout, float* dx, int64_t n);
void siluForward(const float* x, float* out, int64_t n);
void siluBackward(const float* x, const float* dout, float* dx, int64_t n);

void crossEntropyForward(const float* logits, const int32_t* targets, const float* weights, float* loss, float* lse,
                         int64_t N, int64_t V, int32_t ignoreIndex);
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* weights, const float* lse,
                          const float* dloss, float* dlogits, int64_t N, int64_t V, int32_t ignoreIndex);

void attentionForward(const float* qkv, const float* keyMask, float* y, float* att, int B, int T, int H, int hd);
void attentionBackward(const float* dy, const float* qkv, const float* att, float* dqkv, int B, int T, int H, int hd);
void attentionCached(const float* q, const float* kCache, const float* vCache, const float* keyMask, float* y, int B,
                     int Tq, int tk, int Tmax, int H, int hd);

void embeddingForward(const float* table, const int32_t* ids, float* out, int64_t n, int64_t C);
void embeddingBackward(const float* dout, const int32_t* ids, float* dtable, int64_t n, int64_t C);

void im2col(const float* x, float* cols, int64_t Cin, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, int64_t Ho, int64_t Wo);
void col2im(const float* cols, float* x, int64_t Cin, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, int64_t Ho, int64_t Wo);

void adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double beta1, double beta2, double eps,
           double wd, double step);

void axpy(int64_t n, float a, const float* x, float* y);
double sumSquares(const float* x, int64_t n);

}  // namespace tessera
