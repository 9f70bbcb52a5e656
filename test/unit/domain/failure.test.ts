import { describe, expect, it } from 'vitest';
import { recordFailure } from '../../../functions/domain/failure.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';

const ID = 'env-3k9x0q2m7ab1';
function setup(overrides: Partial<Environment> = {}) {
  const registry = new FakeRegistry(fixedClock('2026-11-25T10:20:00.000Z'), anEnvironment(overrides));
  return { registry, deps: { registry } };
}

describe('recordFailure', () => {
  it('stores the stack events reason of a failed create and leaves the status to the cleanup path', async () => {
    const { registry, deps } = setup({ status: 'CREATING' });
    const result = await recordFailure(deps, {
      environmentId: ID,
      stage: 'create',
      reason: 'EgressOnlyGateway CREATE_FAILED: limit',
    });
    expect(result).toEqual({
      status: 'CREATING',
      failureReason: 'provisioning failed: EgressOnlyGateway CREATE_FAILED: limit',
    });
    expect(registry.stored(ID)).toMatchObject({ status: 'CREATING', failureReason: result.failureReason });
  });

  it('summarises a caught Lambda error by type and message, without its stack trace', async () => {
    const { registry, deps } = setup({ status: 'CREATING' });
    const cause = JSON.stringify({
      errorType: 'TransientError',
      errorMessage: 'Throttling: Rate exceeded',
      trace: ['at secret (/var/task/index.mjs:1:1)'],
    });
    await recordFailure(deps, { environmentId: ID, stage: 'create', error: { Error: 'TransientError', Cause: cause } });
    expect(registry.stored(ID).failureReason).toBe('provisioning failed: TransientError: Throttling: Rate exceeded');
  });

  it('names the failed and skipped checks with their details for a failed validation', async () => {
    const { registry, deps } = setup({
      status: 'VALIDATING',
      validation: {
        passed: false,
        checkedAt: '2026-11-25T10:19:00.000Z',
        checks: [
          { name: 'http-ipv4', status: 'passed', detail: 'HTTP 200' },
          { name: 'http-ipv6', status: 'failed', detail: 'ETIMEDOUT' },
          { name: 'probe-list-ec2', status: 'skipped', detail: 'no DNS' },
        ],
      },
    });
    await recordFailure(deps, { environmentId: ID, stage: 'validate' });
    const reason = registry.stored(ID).failureReason;
    expect(reason).toBe('validation failed: http-ipv6 failed (ETIMEDOUT); probe-list-ec2 skipped (no DNS)');
    expect(registry.stored(ID).status).toBe('VALIDATING');
  });

  it('ends a failed teardown FAILED, naming the remaining resources after the provisioning reason', async () => {
    const remaining = ['arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc'];
    const { registry, deps } = setup({
      status: 'DELETING',
      failureReason: 'provisioning failed: quota',
      teardown: { stackStatus: 'DELETE_COMPLETE', checkedAt: '2026-11-25T10:19:00.000Z', remaining, attempts: 1 },
    });
    const result = await recordFailure(deps, {
      environmentId: ID,
      stage: 'teardown',
      error: {
        Error: 'ResourcesRemainError',
        Cause: JSON.stringify({ errorType: 'ResourcesRemainError', errorMessage: '1 resource(s) remain' }),
      },
    });
    expect(result.status).toBe('FAILED');
    expect(registry.stored(ID).status).toBe('FAILED');
    expect(registry.stored(ID).failureReason).toMatch(
      /^provisioning failed: quota; then teardown failed: ResourcesRemainError: 1 resource\(s\) remain; still present: arn:aws:ec2:us-east-1:123456789012:vpc\/vpc-0abc$/,
    );
  });

  it('keeps both why a teardown gave up and the stack events naming the resources that failed to delete', async () => {
    const { registry, deps } = setup({ status: 'DELETING' });
    const stuck = 'PrivateSubnet1 (AWS::EC2::Subnet) DELETE_FAILED: subnet-1 has dependencies';
    await recordFailure(deps, {
      environmentId: ID,
      stage: 'teardown',
      reason: stuck,
      error: {
        Error: 'StackOperationFailedError',
        Cause: JSON.stringify({
          errorType: 'StackOperationFailedError',
          errorMessage: 'stack could not be deleted in 3 attempts',
        }),
      },
    });
    expect(registry.stored(ID)).toMatchObject({
      status: 'FAILED',
      failureReason: `teardown failed: StackOperationFailedError: stack could not be deleted in 3 attempts; stack events: ${stuck}`,
    });
  });

  it('does not repeat, for a failed cleanup, the provisioning reason it already records', async () => {
    const { registry, deps } = setup({
      status: 'DELETING',
      failureReason: 'provisioning failed: Subnet: limit exceeded',
    });
    await recordFailure(deps, {
      environmentId: ID,
      stage: 'teardown',
      reason: 'Subnet: limit exceeded',
      error: { Error: 'AccessDeniedException', Cause: 'not authorized' },
    });
    expect(registry.stored(ID).failureReason).toBe(
      'provisioning failed: Subnet: limit exceeded; then teardown failed: AccessDeniedException: not authorized',
    );
  });

  it('handles a plain-text cause such as States.Timeout', async () => {
    const { registry, deps } = setup({ status: 'DELETING' });
    await recordFailure(deps, {
      environmentId: ID,
      stage: 'teardown',
      error: { Error: 'States.Timeout', Cause: 'Task timed out' },
    });
    expect(registry.stored(ID)).toMatchObject({
      status: 'FAILED',
      failureReason: 'teardown failed: States.Timeout: Task timed out',
    });
  });

  it('leaves an environment that is already final as it is', async () => {
    const { registry, deps } = setup({ status: 'DELETED' });
    await recordFailure(deps, { environmentId: ID, stage: 'teardown', error: { Error: 'States.Timeout' } });
    expect(registry.writes).toHaveLength(0);
  });
});
