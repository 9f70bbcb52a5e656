import {
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { QuotaExceededError } from '../shared/errors.js';
import { TAG_ENVIRONMENT_ID } from './provisioning.js';
import type { Registry } from './registry.js';
import { translateAwsError } from './registry.js';

/** Tag every resource of an environment carries (the blueprint's stack tags). */

export interface QuotaDeps {
  registry: Pick<Registry, 'countActiveByOwner' | 'countActive'>;
  ec2: Pick<EC2Client, 'send'>;
  config: { maxActivePerOwner: number; regionCapacity: number };
}

export interface CapacityUsage {
  activeEnvironments: number;
  /** VPCs in the region that belong to no environment (default VPC, other workloads). */
  otherVpcs: number;
  /** Egress-only internet gateways in the region that belong to no environment. */
  otherEgressOnlyGateways: number;
}

const belongsToEnvironment = (tags: Tag[] | undefined) => (tags ?? []).some((tag) => tag.Key === TAG_ENVIRONMENT_ID);

async function countOtherVpcs(ec2: QuotaDeps['ec2']): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeVpcsCommand({ NextToken: nextToken, MaxResults: 1000 }));
    count += (page.Vpcs ?? []).filter((vpc) => !belongsToEnvironment(vpc.Tags)).length;
    nextToken = page.NextToken;
  } while (nextToken);
  return count;
}

async function countOtherEgressOnlyGateways(ec2: QuotaDeps['ec2']): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeEgressOnlyInternetGatewaysCommand({ NextToken: nextToken, MaxResults: 255 }),
    );
    count += (page.EgressOnlyInternetGateways ?? []).filter((gw) => !belongsToEnvironment(gw.Tags)).length;
    nextToken = page.NextToken;
  } while (nextToken);
  return count;
}

export async function measureCapacity(deps: Pick<QuotaDeps, 'registry' | 'ec2'>): Promise<CapacityUsage> {
  try {
    const [activeEnvironments, otherVpcs, otherEgressOnlyGateways] = await Promise.all([
      deps.registry.countActive(),
      countOtherVpcs(deps.ec2),
      countOtherEgressOnlyGateways(deps.ec2),
    ]);
    return { activeEnvironments, otherVpcs, otherEgressOnlyGateways };
  } catch (error) {
    return translateAwsError(error, 'capacity check');
  }
}

/**
 * Refuses a new environment (QuotaExceededError, 429) when the owner already has the maximum number of active
 * environments, or when one more environment's VPC or egress-only gateway would exceed the region's capacity.
 */
export async function assertCanCreate(deps: QuotaDeps, owner: string): Promise<void> {
  const { maxActivePerOwner, regionCapacity } = deps.config;
  const owned = await deps.registry.countActiveByOwner(owner);
  if (owned >= maxActivePerOwner) {
    throw new QuotaExceededError(
      `You already have ${owned} active environment(s); the limit per principal is ${maxActivePerOwner}. ` +
        'Delete one (DELETE /environments/{id}) or wait until one expires, then try again.',
    );
  }
  const usage = await measureCapacity(deps);
  const vpcsAfter = usage.activeEnvironments + usage.otherVpcs + 1;
  const gatewaysAfter = usage.activeEnvironments + usage.otherEgressOnlyGateways + 1;
  if (vpcsAfter > regionCapacity || gatewaysAfter > regionCapacity) {
    const which =
      vpcsAfter > regionCapacity
        ? `${usage.activeEnvironments} active environment(s) and ${usage.otherVpcs} other VPC(s)`
        : `${usage.activeEnvironments} active environment(s) and ${usage.otherEgressOnlyGateways} other egress-only internet gateway(s)`;
    throw new QuotaExceededError(
      `The region is at capacity: ${which} already use the ${regionCapacity} allowed. ` +
        'Try again after another environment is deleted or expires, or ask an administrator to raise the VPC quota and REGION_CAPACITY.',
    );
  }
}
