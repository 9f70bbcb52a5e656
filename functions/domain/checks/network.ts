import { DescribeRouteTablesCommand, DescribeVpcsCommand, type EC2Client, type RouteTable } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EnvironmentOutputs } from '../../schemas/environment.js';
import { type CheckOutcome, failed, passed, skipped } from './check.js';

export type Ec2Port = Pick<EC2Client, 'send'>;
export type Elbv2Port = Pick<ElasticLoadBalancingV2Client, 'send'>;
export type EcsPort = Pick<ECSClient, 'send'>;

/** `vpc-ipv6-cidr`: the VPC has an associated IPv6 CIDR block. */
export async function checkVpcIpv6Cidr(ec2: Ec2Port, outputs: EnvironmentOutputs): Promise<CheckOutcome> {
  if (outputs.vpcId === undefined) return skipped('the stack has no VpcId output');
  const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [outputs.vpcId] }));
  const blocks = (Vpcs?.[0]?.Ipv6CidrBlockAssociationSet ?? []).filter(
    (b) => b.Ipv6CidrBlockState?.State === 'associated' && b.Ipv6CidrBlock,
  );
  return blocks.length > 0
    ? passed(`${outputs.vpcId} has ${blocks.map((b) => b.Ipv6CidrBlock).join(', ')}`)
    : failed(`${outputs.vpcId} has no associated IPv6 CIDR block`);
}

async function routeTableOf(
  ec2: Ec2Port,
  vpcId: string | undefined,
  subnetId: string,
): Promise<RouteTable | undefined> {
  const explicit = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
  );
  if (explicit.RouteTables?.[0] !== undefined || vpcId === undefined) return explicit.RouteTables?.[0];
  // A subnet without an explicit association uses the VPC's main route table.
  const main = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  return main.RouteTables?.[0];
}

/**
 * `egress-only-route`: every private subnet routes `::/0` to an egress-only internet gateway and has no
 * `0.0.0.0/0` route (the tasks reach AWS over IPv6 only and cannot be reached from outside).
 */
export async function checkEgressOnlyRoutes(ec2: Ec2Port, outputs: EnvironmentOutputs): Promise<CheckOutcome> {
  const subnets = outputs.privateSubnetIds ?? [];
  if (subnets.length === 0) return skipped('the stack has no PrivateSubnetIds output');
  const problems: string[] = [];
  const fine: string[] = [];
  for (const subnetId of subnets) {
    const table = await routeTableOf(ec2, outputs.vpcId, subnetId);
    if (table === undefined) {
      problems.push(`${subnetId}: no route table`);
      continue;
    }
    const routes = (table.Routes ?? []).filter((r) => r.State !== 'blackhole');
    const egressOnly = routes.find((r) => r.DestinationIpv6CidrBlock === '::/0' && r.EgressOnlyInternetGatewayId);
    const ipv4Default = routes.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    if (egressOnly === undefined) problems.push(`${subnetId}: no ::/0 route to an egress-only internet gateway`);
    if (ipv4Default !== undefined) {
      const target = ipv4Default.NatGatewayId ?? ipv4Default.GatewayId ?? 'a target';
      problems.push(`${subnetId}: has a 0.0.0.0/0 route to ${target}`);
    }
    if (egressOnly !== undefined && ipv4Default === undefined) {
      fine.push(`${subnetId} → ${egressOnly.EgressOnlyInternetGatewayId}`);
    }
  }
  return problems.length === 0 ? passed(`::/0 via ${fine.join(', ')}`) : failed(problems.join('; '));
}

const DUAL_STACK_TYPES = new Set(['dualstack', 'dualstack-without-public-ipv4']);

/** `alb-dualstack`: the load balancer's IP address type is dual-stack. */
export async function checkAlbDualStack(elbv2: Elbv2Port, outputs: EnvironmentOutputs): Promise<CheckOutcome> {
  if (outputs.loadBalancerArn === undefined) return skipped('the stack has no LoadBalancerArn output');
  const { LoadBalancers } = await elbv2.send(
    new DescribeLoadBalancersCommand({ LoadBalancerArns: [outputs.loadBalancerArn] }),
  );
  const type = LoadBalancers?.[0]?.IpAddressType;
  if (type === undefined) return failed(`load balancer ${outputs.loadBalancerArn} not found`);
  return DUAL_STACK_TYPES.has(type) ? passed(`IpAddressType ${type}`) : failed(`IpAddressType ${type}, not dualstack`);
}

/** `tasks-no-public-ip`: the service's tasks get no public IPv4 address. */
export async function checkTasksNoPublicIp(ecs: EcsPort, outputs: EnvironmentOutputs): Promise<CheckOutcome> {
  if (outputs.clusterName === undefined || outputs.serviceName === undefined) {
    return skipped('the stack has no ClusterName/ServiceName output');
  }
  const { services } = await ecs.send(
    new DescribeServicesCommand({ cluster: outputs.clusterName, services: [outputs.serviceName] }),
  );
  const service = services?.[0];
  if (service === undefined) return failed(`service ${outputs.serviceName} not found in ${outputs.clusterName}`);
  const awsvpc = service.networkConfiguration?.awsvpcConfiguration;
  if (awsvpc === undefined) return failed(`${outputs.serviceName}: no awsvpc network configuration`);
  // ECS defaults assignPublicIp to DISABLED.
  const assign = awsvpc.assignPublicIp ?? 'DISABLED';
  return assign === 'DISABLED'
    ? passed(`${outputs.serviceName}: assignPublicIp DISABLED`)
    : failed(`${outputs.serviceName}: assignPublicIp ${assign}`);
}
