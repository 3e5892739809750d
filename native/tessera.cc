// N-API bindings of the native kernels: one exported function per member of `Kernels`
// (src/tensor/kernels/types.ts), same names and argument order. Every argument is type-checked and every
// buffer is checked against the extent the given sizes imply before any kernel touches memory; a bad call
// throws a TypeError or RangeError naming the function, the argument and both sizes.
#include <napi.h>

#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "kernels.h"
#include "napi-args.h"

namespace tessera_napi {

// ---- bindings -------------------------------------------------------------------------------------------

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", "native");
  o.Set("blas", tessera::blasName());
  o.Set("threads", tessera::threads());
  o.Set("build", tessera::buildName());
  o.Set("gemm", tessera::gemmName());
  o.Set("blasCore", tessera::blasCore());
  return o;
}

// peakGflops(seconds): the measured FMA peak of every pool thread at once (not a kernel; for doctor/bench).
Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  Args a(info, "peakGflops", 1);
  const double s = a.number(0, "seconds");
  if (a.failed()) return a.undefined();
  if (!(s > 0 && s <= 10)) {
    a.rangeError("seconds must be in (0, 10], got " + std::to_string(s));
    return a.undefined();
  }
  return Napi::Number::New(a.env(), tessera::peakGflops(s));
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args a(info, "gemm", 20);
  const bool tA = a.boolean(0, "transA"), tB = a.boolean(1, "transB");
  const int64_t M = a.count(2, "M", true), N = a.count(3, "N", true), K = a.count(4, "K", true);
  const double alpha = a.number(5, "alpha");
  auto A = a.f32(6, "A");
  const int64_t aOff = a.count(7, "aOff"), lda = a.count(8, "lda", true), sA = a.count(9, "strideA");
  auto B = a.f32(10, "B");
  const int64_t bOff = a.count(11, "bOff"), ldb = a.count(12, "ldb", true), sB = a.count(13, "strideB");
  const double beta = a.number(14, "beta");
  auto C = a.f32(15, "C");
  const int64_t cOff = a.count(16, "cOff"), ldc = a.count(17, "ldc", true), sC = a.count(18, "strideC");
  const int64_t batch = a.count(19, "batch");
  if (a.failed()) return a.undefined();
  if (M == 0 || N == 0 || batch == 0) return a.undefined();
  a.check(ldc >= N, "ldc = " + std::to_string(ldc) + " must be >= N = " + std::to_string(N));
  a.need(C, extent(cOff, batch, sC, M, ldc, N), "cOff + (batch-1)*strideC + (M-1)*ldc + N");
  if (K > 0) {
    const int64_t rowsA = tA ? K : M, colsA = tA ? M : K, rowsB = tB ? N : K, colsB = tB ? K : N;
    a.check(lda >= colsA, "lda = " + std::to_string(lda) + " must be >= " + (tA ? "M = " : "K = ") +
                              std::to_string(colsA) + (tA ? " (A transposed)" : ""));
    a.check(ldb >= colsB, "ldb = " + std::to_string(ldb) + " must be >= " + (tB ? "K = " : "N = ") +
                              std::to_string(colsB) + (tB ? " (B transposed)" : ""));
    a.need(A, extent(aOff, batch, sA, rowsA, lda, colsA), "aOff + (batch-1)*strideA + (rows-1)*lda + cols");
    a.need(B, extent(bOff, batch, sB, rowsB, ldb, colsB), "bOff + (batch-1)*strideB + (rows-1)*ldb + cols");
  }
  if (a.failed()) return a.undefined();
  tessera::gemm(tA, tB, int(M), int(N), int(K), float(alpha), A.p + aOff, int(lda), sA, B.p + bOff, int(ldb), sB,
                float(beta), C.p + cOff, int(ldc), sC, batch);
  return a.undefined();
}

Napi::Value AddBias(const Napi::CallbackInfo& info) {
  Args a(info, "addBias", 4);
  auto out = a.f32(0, "out");
  auto bias = a.f32(1, "bias");
  const int64_t N = a.count(2, "N"), C = a.count(3, "C");
  a.need(out, i128(N) * C, "N*C");
  a.need(bias, C, "C");
  if (a.failed()) return a.undefined();
  tessera::addBias(out.p, bias.p, N, C);
  return a.undefined();
}

Napi::Value BiasBackward(const Napi::CallbackInfo& info) {
  Args a(info, "biasBackward", 4);
  auto dout = a.f32(0, "dout");
  auto dbias = a.f32(1, "dbias");
  const int64_t N = a.count(2, "N"), C = a.count(3, "C");
  a.need(dout, i128(N) * C, "N*C");
  a.need(dbias, C, "C");
  if (a.failed()) return a.undefined();
  tessera::biasBackward(dout.p, dbias.p, N, C);
  return a.undefined();
}

Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormForward", 9);
  auto x = a.f32(0, "x"), w = a.f32(1, "w"), b = a.f32(2, "b"), out = a.f32(3, "out"), mean = a.f32(4, "mean"),
       rstd = a.f32(5, "rstd");
  const int64_t N = a.count(6, "N"), C = a.count(7, "C");
  const double eps = a.number(8, "eps");
  a.need(x, i128(N) * C, "N*C");
  a.need(w, C, "C");
  a.need(b, C, "C");
  a.need(out, i128(N) * C, "N*C");
  a.need(mean, N, "N");
  a.need(rstd, N, "N");
  if (a.failed()) return a.undefined();
  tessera::layerNormForward(x.p, w.p, b.p, out.p, mean.p, rstd.p, N, C, float(eps));
  return a.undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward", 10);
  auto dout = a.f32(0, "dout"), x = a.f32(1, "x"), w = a.f32(2, "w"), mean = a.f32(3, "mean"),
       rstd = a.f32(4, "rstd"), dx = a.f32(5, "dx"), dw = a.f32(6, "dw"), db = a.f32(7, "db");
  const int64_t N = a.count(8, "N"), C = a.count(9, "C");
  a.need(dout, i128(N) * C, "N*C");
  a.need(x, i128(N) * C, "N*C");
  a.need(w, C, "C");
  a.need(mean, N, "N");
  a.need(rstd, N, "N");
  a.need(dx, i128(N) * C, "N*C");
  a.need(dw, C, "C");
  a.need(db, C, "C");
  if (a.failed()) return a.undefined();
  tessera::layerNormBackward(dout.p, x.p, w.p, mean.p, rstd.p, dx.p, dw.p, db.p, N, C);
  return a.undefined();
}

Napi::Value RmsNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "rmsNormForward", 7);
  auto x = a.f32(0, "x"), w = a.f32(1, "w"), out = a.f32(2, "out"), rstd = a.f32(3, "rstd");
  const int64_t N = a.count(4, "N"), C = a.count(5, "C");
  const double eps = a.number(6, "eps");
  a.need(x, i128(N) * C, "N*C");
  a.need(w, C, "C");
  a.need(out, i128(N) * C, "N*C");
  a.need(rstd, N, "N");
  if (a.failed()) return a.undefined();
  tessera::rmsNormForward(x.p, w.p, out.p, rstd.p, N, C, float(eps));
  return a.undefined();
}

Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "rmsNormBackward", 8);
  auto dout = a.f32(0, "dout"), x = a.f32(1, "x"), w = a.f32(2, "w"), rstd = a.f32(3, "rstd"), dx = a.f32(4, "dx"),
       dw = a.f32(5, "dw");
  const int64_t N = a.count(6, "N"), C = a.count(7, "C");
  a.need(dout, i128(N) * C, "N*C");
  a.need(x, i128(N) * C, "N*C");
  a.need(w, C, "C");
  a.need(rstd, N, "N");
  a.need(dx, i128(N) * C, "N*C");
  a.need(dw, C, "C");
  if (a.failed()) return a.undefined();
  tessera::rmsNormBackward(dout.p, x.p, w.p, rstd.p, dx.p, dw.p, N, C);
  return a.undefined();
}

template <void (*F)(const float*, float*, int64_t)>
Napi::Value Unary(const Napi::CallbackInfo& info, const char* fn) {
  Args a(info, fn, 3);
  auto x = a.f32(0, "x"), out = a.f32(1, "out");
  const int64_t n = a.count(2, "n");
  a.need(x, n, "n");
  a.need(out, n, "n");
  if (a.failed()) return a.undefined();
  F(x.p, out.p, n);
  return a.undefined();
}

template <void (*F)(const float*, const float*, float*, int64_t)>
Napi::Value UnaryBackward(const Napi::CallbackInfo& info, const char* fn) {
  Args a(info, fn, 4);
  auto x = a.f32(0, "x"), dout = a.f32(1, "dout"), dx = a.f32(2, "dx");
  const int64_t n = a.count(3, "n");
  a.need(x, n, "n");
  a.need(dout, n, "n");
  a.need(dx, n, "n");
  if (a.failed()) return a.undefined();
  F(x.p, dout.p, dx.p, n);
  return a.undefined();
}

Napi::Value GeluForward(const Napi::CallbackInfo& info) { return Unary<tessera::geluForward>(info, "geluForward"); }
Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  return UnaryBackward<tessera::geluBackward>(info, "geluBackward");
}
Napi::Value SiluForward(const Napi::CallbackInfo& info) { return Unary<tessera::siluForward>(info, "siluForward"); }
Napi::Value SiluBackward(const Napi::CallbackInfo& info) {
  return UnaryBackward<tessera::siluBackward>(info, "siluBackward");
}

// Every target must be ignoreIndex or a valid column.
void checkTargets(Args& a, const Buf<int32_t>& targets, int64_t N, int64_t V, int64_t ignoreIndex) {
  if (a.failed()) return;
  for (int64_t i = 0; i < N; i++) {
    const int64_t t = targets.p[i];
    if (t != ignoreIndex && (t < 0 || t >= V)) {
      a.rangeError("targets[" + std::to_string(i) + "] = " + std::to_string(t) + " is outside [0, V = " +
                   std::to_string(V) + ") and is not ignoreIndex = " + std::to_string(ignoreIndex));
      return;
    }
  }
}

Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyForward", 8);
  auto logits = a.f32(0, "logits");
  auto targets = a.i32(1, "targets");
  auto weights = a.f32(2, "weights", true);
  auto loss = a.f32(3, "loss"), lse = a.f32(4, "lse");
  const int64_t N = a.count(5, "N"), V = a.count(6, "V");
  const int64_t ignore = a.integer(7, "ignoreIndex", INT32_MIN, INT32_MAX);
  a.need(logits, i128(N) * V, "N*V");
  a.need(targets, N, "N");
  a.need(weights, N, "N");
  a.need(loss, N, "N");
  a.need(lse, N, "N");
  checkTargets(a, targets, N, V, ignore);
  if (a.failed()) return a.undefined();
  tessera::crossEntropyForward(logits.p, targets.p, weights.null ? nullptr : weights.p, loss.p, lse.p, N, V,
                               int32_t(ignore));
  return a.undefined();
}

Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyBackward", 9);
  auto logits = a.f32(0, "logits");
  auto targets = a.i32(1, "targets");
  auto weights = a.f32(2, "weights", true);
  auto lse = a.f32(3, "lse"), dloss = a.f32(4, "dloss"), dlogits = a.f32(5, "dlogits");
  const int64_t N = a.count(6, "N"), V = a.count(7, "V");
  const int64_t ignore = a.integer(8, "ignoreIndex", INT32_MIN, INT32_MAX);
  a.need(logits, i128(N) * V, "N*V");
  a.need(targets, N, "N");
  a.need(weights, N, "N");
  a.need(lse, N, "N");
  a.need(dloss, N, "N");
  a.need(dlogits, i128(N) * V, "N*V");
  checkTargets(a, targets, N, V, ignore);
  if (a.failed()) return a.undefined();
  tessera::crossEntropyBackward(logits.p, targets.p, weights.null ? nullptr : weights.p, lse.p, dloss.p, dlogits.p, N,
                                V, int32_t(ignore));
  return a.undefined();
}

}  // namespace tessera_napi

namespace {

using namespace tessera_napi;

int threadCount() {
  if (const char* s = std::getenv("TESSERA_THREADS")) {
    const int n = std::atoi(s);
    if (n >= 1) return std::min(n, 256);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : int(std::min(hc, 256u));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tessera::init(threadCount());
  struct Entry {
    const char* name;
    Napi::Function::Callback fn;
  };
  const Entry entries[] = {
      {"info", Info},
      {"peakGflops", PeakGflops},
      {"gemm", Gemm},
      {"addBias", AddBias},
      {"biasBackward", BiasBackward},
      {"layerNormForward", LayerNormForward},
      {"layerNormBackward", LayerNormBackward},
      {"rmsNormForward", RmsNormForward},
      {"rmsNormBackward", RmsNormBackward},
      {"geluForward", GeluForward},
      {"geluBackward", GeluBackward},
      {"siluForward", SiluForward},
      {"siluBackward", SiluBackward},
      {"crossEntropyForward", CrossEntropyForward},
      {"crossEntropyBackward", CrossEntropyBackward},
      {"attentionForward", AttentionForward},
      {"attentionBackward", AttentionBackward},
      {"attentionCached", AttentionCached},
      {"embeddingForward", EmbeddingForward},
      {"embeddingBackward", EmbeddingBackward},
      {"im2col", Im2col},
      {"col2im", Col2im},
      {"adamw", Adamw},
      {"axpy", Axpy},
      {"sumSquares", SumSquares},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

}  // namespace

NODE_API_MODULE(tessera_native, Init)
