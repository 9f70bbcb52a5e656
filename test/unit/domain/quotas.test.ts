import { describe, expect, it } from 'vitest';
import { assertCanCreate, measureCapacity } from '../../../functions/domain/quotas.js';
import { QuotaExceededError, ThrottledError } from '../../../functions/shared/errors.js';
import { storedEnvironment } from '../api/support/environments.js';
import { ALICE, BOB } from '../api/support/events.js';
import { awsError, fakeDeps } from '../api/support/fakes.js';

const tagged = (id: string) => [{ Key: 'dsenv:environment-id', Value: id }];

async function withActive(count: number, owner = BOB) {
  const setup = fakeDeps();
  for (let i = 0; i < count; i += 1) {
    await setup.registry.put(storedEnvironment({ id: `env-cccccccccc${String(i).padStart(2, '0')}`, owner }));
  }
  return setup;
}

describe('assertCanCreate', () => {
  it('allows creation while the owner and the region have room', async () => {
    const { deps } = await withActive(2, ALICE);

    await expect(assertCanCreate(deps, ALICE)).resolves.toBeUndefined();
  });

  it('names the per-principal limit and what to do when the owner is at it', async () => {
    const { deps, ec2 } = await withActive(3, ALICE);

    const error = await assertCanCreate(deps, ALICE).catch((e: Error) => e);

    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as Error).message).toMatch(/3 active environment\(s\).*limit per principal is 3.*DELETE/);
    expect(ec2.calls).toBe(0);
  });

  it('counts VPCs that belong to no environment against the region capacity, across pages', async () => {
    const { deps, ec2 } = await withActive(2);
    ec2.vpcs = [
      { VpcId: 'vpc-default' },
      { VpcId: 'vpc-shared' },
      { VpcId: 'vpc-e1', Tags: tagged('env-cccccccccc00') },
      { VpcId: 'vpc-e2', Tags: tagged('env-cccccccccc01') },
    ];

    // 2 environments + 2 foreign VPCs + the new one = 5: still within 5.
    await expect(assertCanCreate(deps, ALICE)).resolves.toBeUndefined();
    ec2.vpcs.push({ VpcId: 'vpc-other-team' });
    const error = await assertCanCreate(deps, ALICE).catch((e: Error) => e);

    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as Error).message).toMatch(
      /2 active environment\(s\) and 3 other VPC\(s\) already use the 5 allowed/,
    );
  });

  it('counts foreign egress-only internet gateways the same way', async () => {
    const { deps, ec2 } = await withActive(1);
    ec2.gateways = [
      { EgressOnlyInternetGatewayId: 'eigw-1' },
      { EgressOnlyInternetGatewayId: 'eigw-2' },
      { EgressOnlyInternetGatewayId: 'eigw-3' },
      { EgressOnlyInternetGatewayId: 'eigw-4' },
      { EgressOnlyInternetGatewayId: 'eigw-e', Tags: tagged('env-cccccccccc00') },
    ];

    const error = await assertCanCreate(deps, ALICE).catch((e: Error) => e);

    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as Error).message).toMatch(/1 active environment\(s\) and 4 other egress-only internet gateway/);
  });

  it('reports EC2 throttling as ThrottledError', async () => {
    const { deps, ec2 } = fakeDeps();
    ec2.failNext('vpcs', awsError('RequestLimitExceeded'));

    await expect(measureCapacity(deps)).rejects.toBeInstanceOf(ThrottledError);
  });
});
