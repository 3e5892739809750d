// The N-API argument checker shared by the binding files (tessera.cc, bind-ops.cc): every argument
// type-checked, every buffer checked against the extent the given sizes imply, before any kernel touches
// memory; a bad call throws a TypeError or RangeError naming the function, the argument and both sizes.
#pragma once

#include <napi.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace tessera_napi {

using i128 = __int128;
constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1

inline std::string str(i128 v) {
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
inline i128 extent(int64_t off, int64_t batch, int64_t stride, int64_t rows, int64_t ld, int64_t cols) {
  if (batch == 0 || rows == 0 || cols == 0) return 0;
  return i128(off) + i128(batch - 1) * stride + i128(rows - 1) * ld + cols;
}


// The bindings defined in bind-ops.cc (attention, embeddings, convolution helpers, optimiser, sums).
Napi::Value AttentionForward(const Napi::CallbackInfo& info);
Napi::Value AttentionBackward(const Napi::CallbackInfo& info);
Napi::Value AttentionCached(const Napi::CallbackInfo& info);
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info);
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info);
Napi::Value Im2col(const Napi::CallbackInfo& info);
Napi::Value Col2im(const Napi::CallbackInfo& info);
Napi::Value Adamw(const Napi::CallbackInfo& info);
Napi::Value Axpy(const Napi::CallbackInfo& info);
Napi::Value SumSquares(const Napi::CallbackInfo& info);

}  // namespace tessera_napi
