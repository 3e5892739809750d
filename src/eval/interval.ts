// 95% intervals for evaluation metrics: Wilson score intervals for rates (0/1 judgements), and the normal
// approximation (mean +- 1.96 standard errors, clipped to [0, 1]) for means of fractions such as pixels kept.

/** What a metric averages, summed: n judgements, their sum and sum of squares. */
export interface MetricStat {
  n: number;
  sum: number;
  sumSq: number;
}

export const Z95 = 1.959964;

/** Wilson score interval of k successes in n trials (null when n is 0). */
export function wilson(k: number, n: number, z = Z95): [number, number] | null {
  if (n === 0) return null;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Normal-approximation interval of a mean of values in [0, 1] (null when n is 0). */
export function meanInterval(s: MetricStat, z = Z95): [number, number] | null {
  if (s.n === 0) return null;
  const mean = s.sum / s.n;
  const variance = s.n > 1 ? Math.max(0, (s.sumSq - s.n * mean * mean) / (s.n - 1)) : 0;
  const half = z * Math.sqrt(variance / s.n);
  return [Math.max(0, mean - half), Math.min(1, mean + half)];
}

/** A difference of two rates measured on the same items, with its 95% interval. */
export interface PairedDifference {
  /** Rate of a minus rate of b. */
  diff: number;
  lo: number;
  hi: number;
  n: number;
  /** Items right under a only, and under b only (the discordant pairs the difference comes from). */
  onlyA: number;
  onlyB: number;
}

/**
 * The difference of two 0/1 judgements of the same n items (a[i] and b[i] judge item i), with Newcombe's
 * square-and-add interval for paired proportions (Newcombe 1998, "Improved confidence intervals for the
 * difference between binomial proportions based on paired data", method 10): the Wilson intervals of both
 * rates, combined with the correlation of the pairs. Pairing matters: two methods that fail on the same hard items
 * differ far more surely than their two separate intervals say. Null when there are no items.
 */
export function pairedDifference(a: readonly number[], b: readonly number[], z = Z95): PairedDifference | null {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} judgements against ${b.length}`);
  const n = a.length;
  if (n === 0) return null;
  let both = 0;
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < n; i++) {
    if ((a[i] !== 0 && a[i] !== 1) || (b[i] !== 0 && b[i] !== 1))
      throw new Error(`pairedDifference: item ${i} is judged ${a[i]} and ${b[i]}, not 0 or 1`);
    if (a[i] && b[i]) both++;
    else if (a[i]) onlyA++;
    else if (b[i]) onlyB++;
  }
  const neither = n - both - onlyA - onlyB;
  const p1 = (both + onlyA) / n;
  const p2 = (both + onlyB) / n;
  const [l1, u1] = wilson(both + onlyA, n, z)!;
  const [l2, u2] = wilson(both + onlyB, n, z)!;
  // The pairs' correlation, with Newcombe's continuity correction: a positive cross-product is reduced by
  // n / 2 (to no less than 0), a negative one is kept.
  const denom = Math.sqrt((both + onlyA) * (onlyB + neither) * (both + onlyB) * (onlyA + neither));
  const cross = both * neither - onlyA * onlyB;
  const phi = denom === 0 ? 0 : (cross > n / 2 ? cross - n / 2 : Math.min(cross, 0)) / denom;
  const dl = Math.sqrt(Math.max(0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2));
  const du = Math.sqrt(Math.max(0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2));
  const diff = p1 - p2;
  return { diff, lo: Math.max(-1, diff - dl), hi: Math.min(1, diff + du), n, onlyA, onlyB };
}
