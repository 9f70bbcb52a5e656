import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import {
  clientConfig,
  type DeployedBlueprint,
  deleteStack,
  deployBlueprint,
  ENVIRONMENT_TAG,
} from './emulator-helpers.js';

const ENVIRONMENT_ID = 'env-e2etest00001';

function routeFor(table: RouteTable | undefined, destination: string) {
  return table?.Routes?.find(
    (r) => r.DestinationCidrBlock === destination || r.DestinationIpv6CidrBlock === destination,
  );
}

describe('the unmodified blueprint on the extended emulator', () => {
  let emulator: RunningEmulator;
  let deployed: DeployedBlueprint;

  beforeAll(async () => {
    emulator = await startEmulator();
    deployed = await deployBlueprint(emulator.endpoint, ENVIRONMENT_ID);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('reaches CREATE_COMPLETE with every parent output', () => {
    expect(deployed.status).toBe('CREATE_COMPLETE');
    for (const key of [
      'PublicURI',
      'VpcId',
      'PublicSubnetIds',
      'PrivateSubnetIds',
      'LoadBalancerArn',
      'ClusterName',
      'ServiceName',
    ]) {
      expect(deployed.outputs[key], key).toBeTruthy();
    }
  });

  it('gives the VPC an IPv6 /56 and every subnet a /64 of it', async () => {
    const ec2 = new EC2Client(clientConfig(emulator.endpoint));
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [deployed.outputs.VpcId ?? ''] }));
    const block = Vpcs?.[0]?.Ipv6CidrBlockAssociationSet?.find((a) => a.Ipv6CidrBlockState?.State === 'associated');
    expect(block?.Ipv6CidrBlock).toMatch(/\/56$/);

    const subnetIds = [deployed.outputs.PublicSubnetIds, deployed.outputs.PrivateSubnetIds].join(',').split(',');
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }));
    expect(Subnets).toHaveLength(subnetIds.length);
    const vpcPrefix = ipv6Bits(block?.Ipv6CidrBlock ?? '') >> 72n; // the /56's 56 network bits
    for (const subnet of Subnets ?? []) {
      const v6 = subnet.Ipv6CidrBlockAssociationSet?.[0];
      expect(v6?.Ipv6CidrBlock).toMatch(/\/64$/);
      expect(ipv6Bits(v6?.Ipv6CidrBlock ?? '') >> 72n, `${v6?.Ipv6CidrBlock} inside ${block?.Ipv6CidrBlock}`).toBe(
        vpcPrefix,
      );
      expect(v6?.Ipv6CidrBlockState?.State).toBe('associated');
      expect(subnet.AssignIpv6AddressOnCreation).toBe(true);
    }
  });

  it('routes private subnets ::/0 to an egress-only gateway and public ones ::/0 and 0.0.0.0/0 to the IGW', async () => {
    const ec2 = new EC2Client(clientConfig(emulator.endpoint));
    const tableOf = async (subnetId: string) =>
      (
        await ec2.send(
          new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
        )
      ).RouteTables?.[0];
    const { EgressOnlyInternetGateways } = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({}));
    const eigwIds = (EgressOnlyInternetGateways ?? [])
      .filter((g) => g.Attachments?.some((a) => a.VpcId === deployed.outputs.VpcId))
      .map((g) => g.EgressOnlyInternetGatewayId);
    expect(eigwIds).toHaveLength(1);

    for (const subnetId of (deployed.outputs.PrivateSubnetIds ?? '').split(',')) {
      const table = await tableOf(subnetId);
      expect(routeFor(table, '::/0')?.EgressOnlyInternetGatewayId).toBe(eigwIds[0]);
      expect(routeFor(table, '0.0.0.0/0')).toBeUndefined();
    }
    for (const subnetId of (deployed.outputs.PublicSubnetIds ?? '').split(',')) {
      const table = await tableOf(subnetId);
      expect(routeFor(table, '::/0')?.GatewayId).toMatch(/^igw-/);
      expect(routeFor(table, '0.0.0.0/0')?.GatewayId).toBe(routeFor(table, '::/0')?.GatewayId);
    }
  });

  it('runs a dual-stack ALB with a listener, and the service without public IPv4', async () => {
    const elb = new ElasticLoadBalancingV2Client(clientConfig(emulator.endpoint));
    const arn = deployed.outputs.LoadBalancerArn ?? '';
    const { LoadBalancers } = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
    expect(LoadBalancers?.[0]?.IpAddressType).toBe('dualstack');
    expect(LoadBalancers?.[0]?.DNSName).toBe(deployed.outputs.PublicURI);
    const { Listeners } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: arn }));
    expect(Listeners?.length).toBeGreaterThan(0);

    const ecs = new ECSClient(clientConfig(emulator.endpoint));
    const { services } = await ecs.send(
      new DescribeServicesCommand({
        cluster: deployed.outputs.ClusterName,
        services: [deployed.outputs.ServiceName ?? ''],
      }),
    );
    const vpc = services?.[0]?.networkConfiguration?.awsvpcConfiguration;
    expect(vpc?.assignPublicIp).toBe('DISABLED');
    expect(vpc?.subnets?.slice().sort()).toEqual((deployed.outputs.PrivateSubnetIds ?? '').split(',').sort());
    expect(services?.[0]?.loadBalancers?.[0]?.targetGroupArn).toMatch(/:targetgroup\//);
  });

  it('deletes everything: no stack and nothing tagged with the environment id remain', async () => {
    const tagging = new ResourceGroupsTaggingAPIClient(clientConfig(emulator.endpoint));
    const tagged = async () =>
      (
        await tagging.send(
          new GetResourcesCommand({ TagFilters: [{ Key: ENVIRONMENT_TAG, Values: [ENVIRONMENT_ID] }] }),
        )
      ).ResourceTagMappingList ?? [];
    const before = (await tagged()).map((r) => r.ResourceARN?.split(':')[2]);
    expect(new Set(before)).toEqual(new Set(['cloudformation', 'ec2', 'ecs', 'elasticloadbalancing', 'logs']));

    const status = await deleteStack(emulator.endpoint, deployed.stackId);

    expect(status).toBe('DELETE_COMPLETE');
    expect(await tagged()).toEqual([]);
    const cfn = new CloudFormationClient(clientConfig(emulator.endpoint));
    expect((await cfn.send(new DescribeStacksCommand({}))).Stacks ?? []).toEqual([]);
    const ec2 = new EC2Client(clientConfig(emulator.endpoint));
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['false'] }] }));
    expect(Vpcs ?? []).toEqual([]);
  });
});

/** The 128 bits of an IPv6 address or CIDR (`2600:1f18:ab::/56` → BigInt), for prefix comparisons. */
function ipv6Bits(cidr: string): bigint {
  const address = cidr.split('/')[0] ?? '';
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((bits, group) => (bits << 16n) + BigInt(`0x${group || '0'}`), 0n);
}
