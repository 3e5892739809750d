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
