import { describe, expect, it } from 'vitest';
import { percentile, summarize, unionLength } from '../../bench/stats.js';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles: observed values, p99 of fewer than 100 samples is the maximum', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 10)).toBe(1);
  });

  it('finds p99 below the maximum once there are more than 100 samples', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);

    expect(percentile(values, 99)).toBe(198);
    expect(summarize(values)).toMatchObject({ n: 200, min: 1, p50: 100, max: 200, mean: 100.5 });
  });

  it('refuses a percentile outside (0, 100] and reports NaN for no samples', () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(percentile([], 50)).toBeNaN();
  });

  it('counts overlapping intervals once, and clips them to the window', () => {
    const intervals = [
      [0, 10],
      [5, 15],
      [20, 30],
      [29, 31],
    ] as const;

    expect(unionLength(intervals)).toBe(26);
    expect(unionLength(intervals, [8, 25])).toBe(12);
    expect(unionLength([[3, 3]], [0, 10])).toBe(0);
  });
});
