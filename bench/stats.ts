/**
 * The statistics every benchmark reports: nearest-rank percentiles (a reported p99 is a value that was
 * really observed; with fewer than 100 samples it is the maximum), and the union of time intervals (the time
 * during which at least one request was in flight, so that overlapping requests are not counted twice).
 */

/** Nearest-rank percentile: the smallest sample such that at least `p` % of the samples are ≤ it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n === 0 ? Number.NaN : Math.min(...values),
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: n === 0 ? Number.NaN : Math.max(...values),
    mean: n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n,
  };
}

export type Interval = readonly [start: number, end: number];

/** Total length covered by the union of `intervals`, each clipped to `window` when one is given. */
export function unionLength(intervals: readonly Interval[], window?: Interval): number {
  const clipped = intervals
    .map(([s, e]): Interval => (window ? [Math.max(s, window[0]), Math.min(e, window[1])] : [s, e]))
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let currentStart = Number.NaN;
  let currentEnd = Number.NaN;
  for (const [s, e] of clipped) {
    if (Number.isNaN(currentEnd) || s > currentEnd) {
      if (!Number.isNaN(currentEnd)) total += currentEnd - currentStart;
      currentStart = s;
      currentEnd = e;
    } else if (e > currentEnd) {
      currentEnd = e;
    }
  }
  if (!Number.isNaN(currentEnd)) total += currentEnd - currentStart;
  return total;
}
