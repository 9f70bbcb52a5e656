// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings, not JavaScript templates
import { describe, expect, it } from 'vitest';
import { activeResources, isObject, parameterValues, refTarget } from '../../blueprints/template-loader.js';
import {
  blueprint,
  literal,
  ofType,
  onlyOfType,
  props,
  resource,
  routesOf,
  routeTableOfSubnet,
  subnets,
  writtenBlueprint,
} from './blueprint-queries.js';

const loadBalancer = onlyOfType('service', 'AWS::ElasticLoadBalancingV2::LoadBalancer');
const service = onlyOfType('service', 'AWS::ECS::Service');
const albSubnets = subnets('service', props('service', loadBalancer).Subnets);
const awsvpc = props('service', service).NetworkConfiguration as { AwsvpcConfiguration: { Subnets: unknown } };
const taskSubnets = subnets('service', awsvpc.AwsvpcConfiguration.Subnets as never);
const vpcId = onlyOfType('network', 'AWS::EC2::VPC');
const ipv6Blocks = ofType('network', 'AWS::EC2::VPCCidrBlock');

const ipv4Range = (cidr: string): [number, number] => {
  const [address, bits] = cidr.split('/') as [string, string];
  const start = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  return [start, start + 2 ** (32 - Number(bits)) - 1];
};

describe('network: addressing', () => {
  it('gives the VPC 10.0.0.0/16 with DNS support and hostnames (needed for endpoint private DNS)', () => {
    // Act
    const vpc = props('network', vpcId);

    // Assess
    expect(literal('network', vpc.CidrBlock)).toBe('10.0.0.0/16');
    expect(vpc.EnableDnsSupport).toBe(true);
    expect(vpc.EnableDnsHostnames).toBe(true);
  });

  it('associates exactly ONE Amazon-provided IPv6 /56 with the VPC', () => {
    expect(ipv6Blocks).toHaveLength(1);
    const block = props('network', ipv6Blocks[0] as string);
    expect(block.AmazonProvidedIpv6CidrBlock).toBe(true);
    expect(refTarget(block.VpcId)).toBe(vpcId);
  });

  it('carves a distinct /64 for every subnet from that /56 with Fn::Cidr, after the block is associated', () => {
    // Prepare
    const all = ofType('network', 'AWS::EC2::Subnet');
    const firstVpcBlock = { 'Fn::Select': [0, { 'Fn::GetAtt': [vpcId, 'Ipv6CidrBlocks'] }] };

    // Act
    const indexes = all.map((id) => {
      const select = (props('network', id).Ipv6CidrBlock as { 'Fn::Select': [number, { 'Fn::Cidr': unknown[] }] })[
        'Fn::Select'
      ];
      const [block, count, bits] = select[1]['Fn::Cidr'];
      expect(block, id).toEqual(firstVpcBlock);
      expect(bits, `${id} takes a /64 (64 host bits)`).toBe(64);
      expect(select[0]).toBeLessThan(count as number);
      return select[0];
    });

    // Assess
    expect(all).toHaveLength(4);
    expect(new Set(indexes).size).toBe(all.length);
    for (const id of all) {
      expect(resource('network', id).DependsOn, `${id} waits for the IPv6 block`).toContain(ipv6Blocks[0]);
      expect(props('network', id).AssignIpv6AddressOnCreation, id).toBe(true);
      expect(props('network', id).MapPublicIpOnLaunch, `${id} hands out no public IPv4`).toBe(false);
    }
  });

  it('gives every subnet a non-overlapping IPv4 range inside the VPC', () => {
    // Prepare
    const [vpcStart, vpcEnd] = ipv4Range(literal('network', props('network', vpcId).CidrBlock) as string);

    // Act
    const ranges = ofType('network', 'AWS::EC2::Subnet').map((id) =>
      ipv4Range(literal('network', props('network', id).CidrBlock) as string),
    );

    // Assess
    for (const [start, end] of ranges) {
      expect(start).toBeGreaterThanOrEqual(vpcStart);
      expect(end).toBeLessThanOrEqual(vpcEnd);
    }
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i += 1) {
      expect((sorted[i] as [number, number])[0]).toBeGreaterThan((sorted[i - 1] as [number, number])[1]);
    }
  });

  it('spreads the load balancer and the tasks over the same two Availability Zones', () => {
    // Act
    const azOf = (id: string) => JSON.stringify(props('network', id).AvailabilityZone);
    const albAzs = albSubnets.map(azOf);
    const taskAzs = taskSubnets.map(azOf);

    // Assess
    expect(albSubnets).toHaveLength(2);
    expect(new Set(albAzs).size).toBe(2);
    expect(new Set(taskAzs)).toEqual(new Set(albAzs));
    expect(albAzs).toContain(JSON.stringify({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }));
    expect(albAzs).toContain(JSON.stringify({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }));
  });

  it('keeps the load balancer and the tasks in different subnets with different route tables', () => {
    expect(albSubnets.filter((id) => taskSubnets.includes(id))).toEqual([]);
    const albTables = new Set(albSubnets.map(routeTableOfSubnet));
    const taskTables = new Set(taskSubnets.map(routeTableOfSubnet));
    expect([...albTables].filter((table) => taskTables.has(table))).toEqual([]);
  });
});

describe('network: routing', () => {
  it('lets IPv4 and IPv6 clients reach the ALB: its subnets send 0.0.0.0/0 and ::/0 to the internet gateway', () => {
    for (const subnet of albSubnets) {
      // Act
      const routes = routesOf(routeTableOfSubnet(subnet));

      // Assess
      const toIgw = routes.filter((r) => r.targetType === 'AWS::EC2::InternetGateway').map((r) => r.destination);
      expect(toIgw.sort(), subnet).toEqual(['0.0.0.0/0', '::/0']);
    }
  });

  it('creates internet-gateway routes only after the gateway is attached to the VPC', () => {
    // Prepare
    const attachment = onlyOfType('network', 'AWS::EC2::VPCGatewayAttachment');
    const igw = onlyOfType('network', 'AWS::EC2::InternetGateway');

    // Act
    const igwRoutes = ofType('network', 'AWS::EC2::RouteTable')
      .flatMap(routesOf)
      .filter((r) => r.targetType === 'AWS::EC2::InternetGateway');

    // Assess
    expect(refTarget(props('network', attachment).InternetGatewayId)).toBe(igw);
    expect(refTarget(props('network', attachment).VpcId)).toBe(vpcId);
    expect(igwRoutes.length).toBeGreaterThan(0);
    for (const route of igwRoutes) expect(route.dependsOn, route.logicalId).toContain(attachment);
  });

  it('sends the tasks’ IPv6 out through the egress-only gateway and gives them no IPv4 default route', () => {
    for (const subnet of taskSubnets) {
      // Act
      const routes = routesOf(routeTableOfSubnet(subnet));

      // Assess
      expect(
        routes.map((r) => [r.destination, r.targetType]),
        subnet,
      ).toEqual([['::/0', 'AWS::EC2::EgressOnlyInternetGateway']]);
    }
    const eigw = onlyOfType('network', 'AWS::EC2::EgressOnlyInternetGateway');
    expect(refTarget(props('network', eigw).VpcId)).toBe(vpcId);
  });

  it('has no NAT gateway and no Elastic IP (no IPv4 path out of the private subnets)', () => {
    expect(ofType('network', 'AWS::EC2::NatGateway')).toEqual([]);
    expect(ofType('network', 'AWS::EC2::EIP')).toEqual([]);
  });
});

describe('network: VPC endpoints', () => {
  // Endpoints that only some parameter values create are looked up in the templates as written.
  const endpointProps = (id: string) => writtenBlueprint.network.Resources[id]?.Properties ?? {};
  const serviceName = (id: string): string => {
    const name = endpointProps(id).ServiceName;
    return isObject(name) ? String(name['Fn::Sub']) : String(name);
  };
  const interfaceEndpoints = (overrides: Record<string, string> = {}) =>
    Object.entries(activeResources(writtenBlueprint.network, parameterValues(writtenBlueprint.network, overrides)))
      .filter(([, r]) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties?.VpcEndpointType === 'Interface')
      .map(([id]) => id);
  const suffixes = (ids: string[]) => ids.map((id) => serviceName(id).replace('com.amazonaws.${AWS::Region}.', ''));

  it('routes image-layer pulls (S3) from the task subnets through a gateway endpoint in the current region', () => {
    // Prepare
    const gateways = ofType('network', 'AWS::EC2::VPCEndpoint').filter(
      (id) => props('network', id).VpcEndpointType === 'Gateway',
    );

    // Act
    const tables = (props('network', gateways[0] as string).RouteTableIds as unknown[]).map((t) =>
      refTarget(t as never),
    );

    // Assess
    expect(gateways).toHaveLength(1);
    expect(serviceName(gateways[0] as string)).toBe('com.amazonaws.${AWS::Region}.s3');
    for (const subnet of taskSubnets) expect(tables).toContain(routeTableOfSubnet(subnet));
  });

  it('creates exactly ecr.api, ecr.dkr and logs interface endpoints by default', () => {
    expect(suffixes(interfaceEndpoints()).sort()).toEqual(['ecr.api', 'ecr.dkr', 'logs']);
  });

  it('adds ssm, ssmmessages and secretsmanager endpoints only when EnableSsmEndpoints is true', () => {
    // Act
    const withSsm = suffixes(interfaceEndpoints({ EnableSsmEndpoints: 'true' })).sort();

    // Assess
    expect(blueprint.parent.Parameters?.EnableSsmEndpoints?.Default).toBe('false');
    expect(withSsm).toEqual(['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm', 'ssmmessages']);
  });

  it('places every interface endpoint, with private DNS, in each task subnet behind the endpoint group', () => {
    for (const id of interfaceEndpoints({ EnableSsmEndpoints: 'true' })) {
      // Act
      const p = endpointProps(id);
      const endpointSubnets = (p.SubnetIds as unknown[]).map((s) => refTarget(s as never));

      // Assess
      expect(p.PrivateDnsEnabled, id).toBe(true);
      expect(endpointSubnets.sort(), id).toEqual([...taskSubnets].sort());
      expect(
        (p.SecurityGroupIds as unknown[]).map((g) => refTarget(g as never)),
        id,
      ).toEqual(['EndpointSecurityGroup']);
      expect(refTarget(p.VpcId)).toBe(vpcId);
    }
  });
});
