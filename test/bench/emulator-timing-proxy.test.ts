import { describe, expect, it } from 'vitest';
import { operationOf, operationSummary } from '../../bench/emulator-timing-proxy.js';

describe('emulator timing proxy', () => {
  it('names a request by its X-Amz-Target, its query Action, or its method and first path segment', () => {
    expect(operationOf('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.GetItem' }, '{}')).toBe(
      'DynamoDB_20120810.GetItem',
    );
    expect(
      operationOf(
        'POST',
        '/',
        { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        'Action=CreateStack&Version=2010-05-15',
      ),
    ).toBe('CreateStack');
    expect(operationOf('GET', '/?Action=DescribeVpcs', {}, '')).toBe('DescribeVpcs');
    expect(operationOf('DELETE', '/schedules/dsenv-x-expiry?groupName=g', {}, '')).toBe('DELETE /schedules');
  });

  it('sums the requests by operation, the one that took the most time in all first', () => {
    // Prepare: many quick GetItems, one slow CreateStack
    const request = (operation: string, ms: number, start = 0) => ({ operation, start, end: start + ms, status: 200 });
    const requests = [
      request('CreateStack', 90),
      ...Array.from({ length: 10 }, (_, i) => request('GetItem', 10, i * 10)),
      request('GetItem', 30),
    ];

    // Act
    const summary = operationSummary(requests);

    // Assess
    expect(Object.keys(summary)).toEqual(['GetItem', 'CreateStack']);
    expect(summary.GetItem).toEqual({ n: 11, p50Ms: 10, p99Ms: 30, totalMs: 130 });
    expect(summary.CreateStack).toEqual({ n: 1, p50Ms: 90, p99Ms: 90, totalMs: 90 });
  });
});
