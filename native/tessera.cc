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

namespace {

using i128 = __int128;
constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1

std::string str(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  if (neg) v = -v;
  std::string s;
  while (v > 0) {
    s.insert(s.begin(), char('0' + int(v % 10)));
    v /= 10;
  }
  return neg ? "-" + s : s;
}

template <class T>
struct Buf {
  T* p = nullptr;
  size_t n = 0;
  const char* name = "";
  bool null = false;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count) : info_(info), env_(info.Env()), fn_(fn) {
    if (info.Length() < count)
      typeError("expected " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
  }

  bool failed() const { return failed_; }
  Napi::Env env() const { return env_; }
  Napi::Value undefined() const { return env_.Undefined(); }

  void typeError(const std::string& msg) {
    if (failed_) return;
    failed_ = true;
    Napi::TypeError::New(env_, std::string(fn_) + ": " + msg).ThrowAsJavaScriptException();
  }
  void rangeError(const std::string& msg) {
    if (failed_) return;
    failed_ = true;
    Napi::RangeError::New(env_, std::string(fn_) + ": " + msg).ThrowAsJavaScriptException();
  }

  bool boolean(size_t i, const char* name) {
    if (failed_) return false;
    if (!info_[i].IsBoolean()) {
      typeError(std::string("argument '") + name + "' must be a boolean");
      return false;
    }
    return info_[i].As<Napi::Boolean>().Value();
  }

  double number(size_t i, const char* name) {
    if (failed_) return 0;
    if (!info_[i].IsNumber()) {
      typeError(std::string("argument '") + name + "' must be a number");
      return 0;
    }
    return info_[i].As<Napi::Number>().DoubleValue();
  }

  // An integer in [lo, hi].
  int64_t integer(size_t i, const char* name, double lo, double hi) {
    double v = number(i, name);
    if (failed_) return 0;
    if (!std::isfinite(v) || v != std::floor(v) || v < lo || v > hi) {
      rangeError(std::string("argument '") + name + "' must be an integer in [" + str(i128(lo)) + ", " +
                 str(i128(hi)) + "], got " + std::to_string(v));
      return 0;
    }
    return int64_t(v);
  }

  // A size, offset or stride: a non-negative integer (at most INT_MAX where BLAS takes an int).
  int64_t count(size_t i, const char* name, bool intRange = false) {
    return integer(i, name, 0, intRange ? double(INT_MAX) : kMaxSafe);
  }

  Buf<float> f32(size_t i, const char* name, bool nullable = false) {
    Buf<float> b;
    b.name = name;
    if (failed_) return b;
    Napi::Value v = info_[i];
    if (nullable && (v.IsNull() || v.IsUndefined())) {
      b.null = true;
      return b;
    }
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      typeError(std::string("argument '") + name + "' must be a Float32Array" + (nullable ? " or null" : ""));
      return b;
    }
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    b.p = a.Data();
    b.n = a.ElementLength();
    return b;
  }

  Buf<int32_t> i32(size_t i, const char* name) {
    Buf<int32_t> b;
    b.name = name;
    if (failed_) return b;
    Napi::Value v = info_[i];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      typeError(std::string("argument '") + name + "' must be an Int32Array");
      return b;
    }
    Napi::Int32Array a = v.As<Napi::Int32Array>();
    b.p = a.Data();
    b.n = a.ElementLength();
    return b;
  }

  // The buffer must hold at least `required` elements.
  template <class T>
  void need(const Buf<T>& b, i128 required, const char* what) {
    if (failed_ || b.null) return;
    if (required > i128(b.n))
      rangeError(std::string("'") + b.name + "' has " + std::to_string(b.n) + " elements but needs at least " +
                 str(required) + " (" + what + ")");
  }

  // A condition on the sizes.
  void check(bool ok, const std::string& msg) {
    if (!failed_ && !ok) rangeError(msg);
  }

 private:
  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* fn_;
  bool failed_ = false;
};

// Extent of a strided batch of matrices: off + (batch-1)*stride + (rows-1)*ld + cols (0 when empty).
i128 extent(int64_t off, int64_t batch, int64_t stride, int64_t rows, int64_t ld, int64_t cols) {
  if (batch == 0 || rows == 0 || cols == 0) return 0;
  return i128(off) + i128(batch - 1) * stride + i128(rows - 1) * ld + cols;
}

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

// B, T, H, hd as ints, with 3*H*hd (the row stride handed to BLAS) also an int and hd >= 1.
bool attentionDims(Args& a, size_t i, int64_t& B, int64_t& T, int64_t& H, int64_t& hd) {
  B = a.count(i, "B", true);
  T = a.count(i + 1, "T", true);
  H = a.count(i + 2, "H", true);
  hd = a.count(i + 3, "hd", true);
  if (a.failed()) return false;
  a.check(hd >= 1, "hd must be >= 1");
  a.check(i128(3) * H * hd <= INT_MAX, "3*H*hd is too large");
  return !a.failed();
}

Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  Args a(info, "attentionForward", 8);
  auto qkv = a.f32(0, "qkv");
  auto keyMask = a.f32(1, "keyMask", true);
  auto y = a.f32(2, "y"), att = a.f32(3, "att");
  int64_t B, T, H, hd;
  if (!attentionDims(a, 4, B, T, H, hd)) return a.undefined();
  a.need(qkv, i128(B) * T * 3 * H * hd, "B*T*3*H*hd");
  a.need(keyMask, i128(B) * T, "B*T");
  a.need(y, i128(B) * T * H * hd, "B*T*H*hd");
  a.need(att, i128(B) * H * T * T, "B*H*T*T");
  if (a.failed()) return a.undefined();
  tessera::attentionForward(qkv.p, keyMask.null ? nullptr : keyMask.p, y.p, att.p, int(B), int(T), int(H), int(hd));
  return a.undefined();
}

Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Args a(info, "attentionBackward", 8);
  auto dy = a.f32(0, "dy"), qkv = a.f32(1, "qkv"), att = a.f32(2, "att"), dqkv = a.f32(3, "dqkv");
  int64_t B, T, H, hd;
  if (!attentionDims(a, 4, B, T, H, hd)) return a.undefined();
  a.need(dy, i128(B) * T * H * hd, "B*T*H*hd");
  a.need(qkv, i128(B) * T * 3 * H * hd, "B*T*3*H*hd");
  a.need(att, i128(B) * H * T * T, "B*H*T*T");
  a.need(dqkv, i128(B) * T * 3 * H * hd, "B*T*3*H*hd");
  if (a.failed()) return a.undefined();
  tessera::attentionBackward(dy.p, qkv.p, att.p, dqkv.p, int(B), int(T), int(H), int(hd));
  return a.undefined();
}

Napi::Value AttentionCached(const Napi::CallbackInfo& info) {
  Args a(info, "attentionCached", 11);
  auto q = a.f32(0, "q"), kCache = a.f32(1, "kCache"), vCache = a.f32(2, "vCache");
  auto keyMask = a.f32(3, "keyMask", true);
  auto y = a.f32(4, "y");
  const int64_t B = a.count(5, "B", true), Tq = a.count(6, "Tq", true), tk = a.count(7, "tk", true),
                Tmax = a.count(8, "Tmax", true), H = a.count(9, "H", true), hd = a.count(10, "hd", true);
  if (a.failed()) return a.undefined();
  a.check(hd >= 1, "hd must be >= 1");
  a.check(i128(H) * hd <= INT_MAX, "H*hd is too large");
  a.check(Tq <= tk, "Tq = " + std::to_string(Tq) + " must be <= tk = " + std::to_string(tk));
  a.check(tk <= Tmax, "tk = " + std::to_string(tk) + " must be <= Tmax = " + std::to_string(Tmax));
  const i128 C = i128(H) * hd;
  a.need(q, i128(B) * Tq * C, "B*Tq*H*hd");
  a.need(kCache, i128(B) * Tmax * C, "B*Tmax*H*hd");
  a.need(vCache, i128(B) * Tmax * C, "B*Tmax*H*hd");
  a.need(keyMask, i128(B) * Tmax, "B*Tmax");
  a.need(y, i128(B) * Tq * C, "B*Tq*H*hd");
  if (a.failed()) return a.undefined();
  tessera::attentionCached(q.p, kCache.p, vCache.p, keyMask.null ? nullptr : keyMask.p, y.p, int(B), int(Tq), int(tk),
                           int(Tmax), int(H), int(hd));
  return a.undefined();
}

// Every id must be a row of the (rows, C) table.
void checkIds(Args& a, const Buf<int32_t>& ids, int64_t n, int64_t rows, const char* table) {
  if (a.failed()) return;
  for (int64_t i = 0; i < n; i++) {
    const int64_t id = ids.p[i];
    if (id < 0 || id >= rows) {
      a.rangeError("ids[" + std::to_string(i) + "] = " + std::to_string(id) + " is outside [0, " +
                   std::to_string(rows) + "), the rows of '" + table + "'");
      return;
    }
  }
}

Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingForward", 5);
  auto table = a.f32(0, "table");
  auto ids = a.i32(1, "ids");
  auto out = a.f32(2, "out");
  const int64_t n = a.count(3, "n"), C = a.count(4, "C");
  a.need(ids, n, "n");
  a.need(out, i128(n) * C, "n*C");
  if (C > 0) checkIds(a, ids, n, int64_t(table.n / size_t(C)), "table");
  if (a.failed() || C == 0) return a.undefined();
  tessera::embeddingForward(table.p, ids.p, out.p, n, C);
  return a.undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingBackward", 5);
  auto dout = a.f32(0, "dout");
  auto ids = a.i32(1, "ids");
  auto dtable = a.f32(2, "dtable");
  const int64_t n = a.count(3, "n"), C = a.count(4, "C");
  a.need(dout, i128(n) * C, "n*C");
  a.need(ids, n, "n");
  if (C > 0) checkIds(a, ids, n, int64_t(dtable.n / size_t(C)), "dtable");
  if (a.failed() || C == 0) return a.undefined();
  tessera::embeddingBackward(dout.p, ids.p, dtable.p, n, C);
  return a.undefined();
}

struct ConvDims {
  int64_t Cin, H, W, kh, kw, stride, pad, Ho, Wo;
};

bool convDims(Args& a, size_t i, ConvDims& d) {
  d.Cin = a.count(i, "Cin");
  d.H = a.count(i + 1, "H");
  d.W = a.count(i + 2, "W");
  d.kh = a.count(i + 3, "kh");
  d.kw = a.count(i + 4, "kw");
  d.stride = a.count(i + 5, "stride");
  d.pad = a.count(i + 6, "pad");
  d.Ho = a.count(i + 7, "Ho");
  d.Wo = a.count(i + 8, "Wo");
  a.check(d.stride >= 1, "stride must be >= 1");
  return !a.failed();
}

Napi::Value Im2col(const Napi::CallbackInfo& info) {
  Args a(info, "im2col", 12);
  auto x = a.f32(0, "x");
  const int64_t xOff = a.count(1, "xOff");
  auto cols = a.f32(2, "cols");
  ConvDims d;
  if (!convDims(a, 3, d)) return a.undefined();
  a.need(x, i128(xOff) + i128(d.Cin) * d.H * d.W, "xOff + Cin*H*W");
  a.need(cols, i128(d.Cin) * d.kh * d.kw * d.Ho * d.Wo, "Cin*kh*kw*Ho*Wo");
  if (a.failed()) return a.undefined();
  tessera::im2col(x.p + xOff, cols.p, d.Cin, d.H, d.W, d.kh, d.kw, d.stride, d.pad, d.Ho, d.Wo);
  return a.undefined();
}

Napi::Value Col2im(const Napi::CallbackInfo& info) {
  Args a(info, "col2im", 12);
  auto cols = a.f32(0, "cols");
  auto x = a.f32(1, "x");
  const int64_t xOff = a.count(2, "xOff");
  ConvDims d;
  if (!convDims(a, 3, d)) return a.undefined();
  a.need(cols, i128(d.Cin) * d.kh * d.kw * d.Ho * d.Wo, "Cin*kh*kw*Ho*Wo");
  a.need(x, i128(xOff) + i128(d.Cin) * d.H * d.W, "xOff + Cin*H*W");
  if (a.failed()) return a.undefined();
  tessera::col2im(cols.p, x.p + xOff, d.Cin, d.H, d.W, d.kh, d.kw, d.stride, d.pad, d.Ho, d.Wo);
  return a.undefined();
}

Napi::Value Adamw(const Napi::CallbackInfo& info) {
  Args a(info, "adamw", 11);
  auto p = a.f32(0, "p"), g = a.f32(1, "g"), m = a.f32(2, "m"), v = a.f32(3, "v");
  const int64_t n = a.count(4, "n");
  const double lr = a.number(5, "lr"), beta1 = a.number(6, "beta1"), beta2 = a.number(7, "beta2"),
               eps = a.number(8, "eps"), wd = a.number(9, "wd"), step = a.number(10, "step");
  a.need(p, n, "n");
  a.need(g, n, "n");
  a.need(m, n, "n");
  a.need(v, n, "n");
  if (a.failed()) return a.undefined();
  tessera::adamw(p.p, g.p, m.p, v.p, n, lr, beta1, beta2, eps, wd, step);
  return a.undefined();
}

Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Args a(info, "axpy", 4);
  const int64_t n = a.count(0, "n");
  const double alpha = a.number(1, "a");
  auto x = a.f32(2, "x"), y = a.f32(3, "y");
  a.need(x, n, "n");
  a.need(y, n, "n");
  if (a.failed()) return a.undefined();
  tessera::axpy(n, float(alpha), x.p, y.p);
  return a.undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args a(info, "sumSquares", 2);
  auto x = a.f32(0, "x");
  const int64_t n = a.count(1, "n");
  a.need(x, n, "n");
  if (a.failed()) return a.undefined();
  return Napi::Number::New(a.env(), tessera::sumSquares(x.p, n));
}

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
