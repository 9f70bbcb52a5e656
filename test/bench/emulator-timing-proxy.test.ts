import { describe, expect, it } from 'vitest';
import { operationOf } from '../../bench/emulator-timing-proxy.js';

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
});
