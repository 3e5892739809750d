// The TypeScript reference of fused causal attention (forward, backward, and the KV-cached step), part of
// js.ts's kernels; split out to keep each file to one subject. Contract: types.ts.
import type { F32 } from './types.js';

export function attentionForward(
  qkv: F32,
  keyMask: F32 | null,
  y: F32,
  att: F32,
  B: number,
  T: number,
  H: number,
  hd: number,
) {
  const C = H * hd;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(hd);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * C3 + h * hd;
        const a = ((b * H + h) * T + t) * T;
        let mx = -Infinity;
        for (let s = 0; s <= t; s++) {
          if (keyMask && keyMask[b * T + s] === 0) continue;
          const k = (b * T + s) * C3 + C + h * hd;
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += qkv[q + d] * qkv[k + d];
          dot *= scale;
          att[a + s] = dot;
          if (dot > mx) mx = dot;
        }
        let sum = 0;
        for (let s = 0; s < T; s++) {
          const masked = s > t || (keyMask !== null && keyMask[b * T + s] === 0);
          if (masked) {
            att[a + s] = 0;
            continue;
          }
          const e = Math.exp(att[a + s] - mx);
          att[a + s] = e;
          sum += e;
        }
        const inv = sum > 0 ? 1 / sum : 0;
        const yo = (b * T + t) * C + h * hd;
        for (let d = 0; d < hd; d++) y[yo + d] = 0;
        for (let s = 0; s <= t; s++) {
          const p = att[a + s] * inv;
          att[a + s] = p;
          if (p === 0) continue;
          const v = (b * T + s) * C3 + 2 * C + h * hd;
          for (let d = 0; d < hd; d++) y[yo + d] += p * qkv[v + d];
        }
      }
    }
  }
}

export function attentionBackward(dy: F32, qkv: F32, att: F32, dqkv: F32, B: number, T: number, H: number, hd: number) {
  const C = H * hd;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(hd);
  const dp = new Float32Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const a = ((b * H + h) * T + t) * T;
        const dyo = (b * T + t) * C + h * hd;
        // dp[s] = dy . v[s] ; dv[s] += p[s] * dy
        let dot = 0;
        for (let s = 0; s <= t; s++) {
          const v = (b * T + s) * C3 + 2 * C + h * hd;
          const p = att[a + s];
          let d0 = 0;
          for (let d = 0; d < hd; d++) {
            d0 += dy[dyo + d] * qkv[v + d];
            dqkv[v + d] += p * dy[dyo + d];
          }
          dp[s] = d0;
          dot += p * d0;
        }
        // softmax backward: ds = p * (dp - sum(p dp)), then scores = scale * q.k
        const q = (b * T + t) * C3 + h * hd;
        for (let s = 0; s <= t; s++) {
          const ds = att[a + s] * (dp[s] - dot) * scale;
          if (ds === 0) continue;
          const k = (b * T + s) * C3 + C + h * hd;
          for (let d = 0; d < hd; d++) {
            dqkv[q + d] += ds * qkv[k + d];
            dqkv[k + d] += ds * qkv[q + d];
          }
        }
      }
    }
  }
}

export function attentionCached(
  q: F32,
  kCache: F32,
  vCache: F32,
  keyMask: F32 | null,
  y: F32,
  B: number,
  Tq: number,
  tk: number,
  Tmax: number,
  H: number,
  hd: number,
) {
  const C = H * hd;
  const scale = 1 / Math.sqrt(hd);
  const p = new Float32Array(tk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const pos = tk - Tq + i;
        const qo = (b * Tq + i) * C + h * hd;
        let mx = -Infinity;
        for (let s = 0; s <= pos; s++) {
          if (keyMask && keyMask[b * Tmax + s] === 0) {
            p[s] = -Infinity;
            continue;
          }
          const ko = (b * Tmax + s) * C + h * hd;
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += q[qo + d] * kCache[ko + d];
          p[s] = dot * scale;
          if (p[s] > mx) mx = p[s];
        }
        let sum = 0;
        for (let s = 0; s <= pos; s++) {
          const e = p[s] === -Infinity ? 0 : Math.exp(p[s] - mx);
          p[s] = e;
          sum += e;
        }
        const inv = sum > 0 ? 1 / sum : 0;
        for (let d = 0; d < hd; d++) y[qo + d] = 0;
        for (let s = 0; s <= pos; s++) {
          const w = p[s] * inv;
          if (w === 0) continue;
          const vo = (b * Tmax + s) * C + h * hd;
          for (let d = 0; d < hd; d++) y[qo + d] += w * vCache[vo + d];
        }
      }
    }
  }
}
