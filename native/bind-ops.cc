// N-API bindings of the attention, embedding, convolution-helper, optimiser and reduction kernels (the
// rest are in tessera.cc, which registers them all). Same names and argument order as `Kernels`.
#include <napi.h>

#include <climits>

#include "kernels.h"
#include "napi-args.h"

namespace tessera_napi {

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

}  // namespace tessera_napi
