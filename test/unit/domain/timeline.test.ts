import { describe, expect, it } from 'vitest';
import { timelineKey, timelineOfChange } from '../../../functions/domain/timeline.js';
import type { Environment } from '../../../functions/schemas/environment.js';

const base: Environment = {
  id: 'env-aaaaaaaaaaa1',
  name: 'demo',
  owner: 'arn:aws:iam::123456789012:user/alice',
  status: 'CREATING',
  source: 'api',
  createdAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-01-01T10:00:00.000Z',
  expiresAt: '2026-01-01T14:00:00.000Z',
  stackName: 'dsenv-env-aaaaaaaaaaa1',
  imageUri: 'public.ecr.aws/nginx/nginx:latest',
  blueprint: { name: 'dual-stack-fargate', version: '1.0.0' },
  outputs: {},
  version: 0,
};

describe('the timeline of a change', () => {
  it("tells how the stack's create ended once, with the failed resources' reasons, stamped with the write", () => {
    const failedStack = {
      ...base,
      version: 3,
      updatedAt: '2026-01-01T10:05:00.000Z',
      stack: {
        status: 'CREATE_FAILED',
        reason: 'LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) CREATE_FAILED: quota',
      },
    };

    const entries = timelineOfChange(base, failedStack);
    const again = timelineOfChange(failedStack, { ...failedStack, version: 4, outputs: { publicUri: 'http://x' } });

    expect(entries).toEqual([
      {
        eventKey: timelineKey(3, 0),
        event: {
          at: '2026-01-01T10:05:00.000Z',
          type: 'stack',
          stackStatus: 'CREATE_FAILED',
          reason: failedStack.stack.reason,
        },
      },
    ]);
    expect(again).toEqual([]);
  });

  it('orders entries by the record version, not by a clock, and keeps each change in its own order', () => {
    const created = timelineOfChange(undefined, base);
    const ready = timelineOfChange(
      { ...base, status: 'VALIDATING', version: 9 },
      // A writer whose clock is behind the first one's
      { ...base, status: 'READY', version: 10, updatedAt: '2026-01-01T09:59:00.000Z' },
    );

    expect(created.map((e) => e.event.type)).toEqual(['status', 'expiry']);
    const keys = [...created, ...ready].map((e) => e.eventKey);
    expect([...keys].sort()).toEqual(keys);
    expect(timelineKey(10, 0) > timelineKey(9, 999)).toBe(true);
    expect(timelineKey(3, 'warn-2026-01-01T13:30:00.000Z') > timelineKey(3, 999)).toBe(true);
  });
});
