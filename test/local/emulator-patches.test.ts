// Each emulator patch: the real-AWS behaviour holds on the extended emulator, and the gap is back without the patch.
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateSubnetCommand,
  DeleteSubnetCommand,
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { clientConfig, deleteStack, ENVIRONMENT_TAG, templateBaseUrl, waitForStack } from './emulator-helpers.js';

type Template = Record<string, unknown>;
interface StackResult {
  readonly stackId?: string;
  readonly status: string;
  readonly outputs: Record<string, string>;
  readonly error?: string;
}

let counter = 0;

/** Creates a stack from a body; a rejected CreateStack or DescribeStacks becomes `status: 'ERROR'`. */
async function createStack(
  endpoint: string,
  body: Template | string,
  tags: Record<string, string> = {},
): Promise<StackResult> {
  const cfn = new CloudFormationClient(clientConfig(endpoint));
  try {
    const { StackId } = await cfn.send(
      new CreateStackCommand({
        StackName: `gap-${++counter}`,
        TemplateBody: typeof body === 'string' ? body : JSON.stringify(body),
        Capabilities: ['CAPABILITY_IAM'],
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    const stack = await waitForStack(cfn, StackId ?? '', 10_000);
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    return { stackId: StackId, status: stack.StackStatus ?? 'UNKNOWN', outputs };
  } catch (error) {
    return { status: 'ERROR', outputs: {}, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

async function uploadTemplate(endpoint: string, key: string, template: Template): Promise<string> {
  const s3 = new S3Client({ ...clientConfig(endpoint), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'gap-templates' })).catch(() => undefined);
  await s3.send(
    new PutObjectCommand({ Bucket: 'gap-templates', Key: `nested/${key}`, Body: JSON.stringify(template) }),
  );
  return `${templateBaseUrl(endpoint, 'gap-templates', 'nested')}/${key}`;
}

const ref = (name: string) => ({ Ref: name });
const getAtt = (name: string, attribute: string) => ({ 'Fn::GetAtt': [name, attribute] });
const vpc = { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } };
const ipv6Block = {
  Type: 'AWS::EC2::VPCCidrBlock',
  Properties: { VpcId: ref('Vpc'), AmazonProvidedIpv6CidrBlock: true },
};
const ipv6Subnet = (index: number) => ({
  Type: 'AWS::EC2::Subnet',
  DependsOn: 'Ipv6Block',
  Properties: {
    VpcId: ref('Vpc'),
    AvailabilityZone: { 'Fn::Select': [index, { 'Fn::GetAZs': '' }] },
    CidrBlock: `10.0.${index}.0/24`,
    Ipv6CidrBlock: {
      'Fn::Select': [index, { 'Fn::Cidr': [{ 'Fn::Select': [0, getAtt('Vpc', 'Ipv6CidrBlocks')] }, 4, 64] }],
    },
    AssignIpv6AddressOnCreation: true,
  },
});

interface GapCase {
  readonly patch: string;
  /** What real AWS does, as the test name. */
  readonly behaviour: string;
  /** Runs the scenario against an emulator and returns what a client sees. */
  readonly observe: (endpoint: string) => Promise<unknown>;
  /** Asserts the real-AWS behaviour. */
  readonly onAws: (seen: never) => void;
  /** Asserts the gap that moto 5.2.1 shows without the patch. */
  readonly withoutPatch: (seen: never) => void;
}

async function nestedOutput(endpoint: string, parentBody: (url: string) => Template | string) {
  const url = await uploadTemplate(endpoint, `child-${++counter}.json`, {
    Resources: { Vpc: vpc },
    Outputs: { VpcId: { Value: ref('Vpc') } },
  });
  const parent = await createStack(endpoint, parentBody(url));
  return { status: parent.status, fromChild: parent.outputs.FromChild };
}

const cases: GapCase[] = [
  {
    patch: 'getatt_short_form',
    behaviour: 'YAML `!GetAtt Child.Outputs.VpcId` reads the nested stack output (split on the first dot)',
    observe: (endpoint) =>
      nestedOutput(
        endpoint,
        (url) =>
          `Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ${url}\nOutputs:\n  FromChild:\n    Value: !GetAtt Child.Outputs.VpcId\n`,
      ),
    onAws: (seen: { status: string; fromChild?: string }) => {
      expect(seen.status).toBe('CREATE_COMPLETE');
      expect(seen.fromChild).toMatch(/^vpc-/);
    },
    withoutPatch: (seen: { fromChild?: string }) => expect(seen.fromChild).toBeUndefined(),
  },
  {
    patch: 'nested_stack_outputs',
    behaviour: '`Fn::GetAtt: [Child, Outputs.VpcId]` returns the nested stack output',
    observe: (endpoint) =>
      nestedOutput(endpoint, (url) => ({
        Resources: { Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: url } } },
        Outputs: { FromChild: { Value: getAtt('Child', 'Outputs.VpcId') } },
      })),
    onAws: (seen: { status: string; fromChild?: string }) => {
      expect(seen.status).toBe('CREATE_COMPLETE');
      expect(seen.fromChild).toMatch(/^vpc-/);
    },
    withoutPatch: (seen: { fromChild?: string }) => expect(seen.fromChild).toBeUndefined(),
  },
  {
    patch: 'fn_cidr',
    behaviour: '`Fn::Cidr` carves IPv4 and IPv6 blocks',
    observe: async (endpoint) =>
      (
        await createStack(endpoint, {
          Resources: { Vpc: vpc },
          Outputs: {
            V4: { Value: { 'Fn::Select': [1, { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] }] } },
            V6: { Value: { 'Fn::Select': [3, { 'Fn::Cidr': ['2600:1f18:aa:bb00::/56', 4, 64] }] } },
          },
        })
      ).outputs,
    onAws: (seen: Record<string, string>) => expect(seen).toEqual({ V4: '10.0.1.0/24', V6: '2600:1f18:aa:bb03::/64' }),
    withoutPatch: (seen: Record<string, string>) => expect(seen.V6).toBeUndefined(),
  },
  {
    patch: 'vpc_dns_attributes',
    behaviour: 'a VPC keeps EnableDnsHostnames',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: {
            Type: 'AWS::EC2::VPC',
            Properties: { CidrBlock: '10.0.0.0/16', EnableDnsSupport: true, EnableDnsHostnames: true },
          },
        },
        Outputs: { VpcId: { Value: ref('Vpc') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { EnableDnsHostnames } = await ec2.send(
        new DescribeVpcAttributeCommand({ VpcId: stack.outputs.VpcId, Attribute: 'enableDnsHostnames' }),
      );
      return EnableDnsHostnames?.Value;
    },
    onAws: (seen: boolean) => expect(seen).toBe(true),
    withoutPatch: (seen: boolean) => expect(seen).toBe(false),
  },
  {
    patch: 'vpc_ipv6_cidr_block',
    behaviour: '`AWS::EC2::VPCCidrBlock` associates an Amazon /56, listed by `Fn::GetAtt VPC.Ipv6CidrBlocks`',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: { Vpc: vpc, Ipv6Block: ipv6Block },
        Outputs: { VpcId: { Value: ref('Vpc') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [stack.outputs.VpcId ?? ''] }));
      const attribute = await createStack(endpoint, {
        Resources: { Vpc: vpc, Ipv6Block: ipv6Block },
        Outputs: { Blocks: { Value: { 'Fn::Join': [',', getAtt('Vpc', 'Ipv6CidrBlocks')] } } },
      });
      return {
        associated: (Vpcs?.[0]?.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
        attribute: attribute.outputs.Blocks,
      };
    },
    onAws: (seen: { associated: string[]; attribute?: string }) => {
      expect(seen.associated).toHaveLength(1);
      expect(seen.associated[0]).toMatch(/::\/56$/);
      expect(seen.attribute).toMatch(/::\/56$/);
    },
    withoutPatch: (seen: { associated: string[]; attribute?: string }) => {
      expect(seen.associated).toEqual([]);
      expect(seen.attribute).toBeUndefined();
    },
  },
  {
    patch: 'subnet_ipv6',
    behaviour: 'a subnet keeps its IPv6 /64 and AssignIpv6AddressOnCreation',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: { Vpc: vpc, Ipv6Block: ipv6Block, Subnet: ipv6Subnet(0) },
        Outputs: { SubnetId: { Value: ref('Subnet') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [stack.outputs.SubnetId ?? ''] }));
      const subnet = Subnets?.[0];
      return {
        ipv6: subnet?.Ipv6CidrBlockAssociationSet?.map((a) => [a.Ipv6CidrBlock, a.Ipv6CidrBlockState?.State]) ?? [],
        assign: subnet?.AssignIpv6AddressOnCreation,
      };
    },
    onAws: (seen: { ipv6: string[][]; assign?: boolean }) => {
      expect(seen.ipv6).toHaveLength(1);
      expect(seen.ipv6[0]?.[0]).toMatch(/::\/64$/);
      expect(seen.ipv6[0]?.[1]).toBe('associated');
      expect(seen.assign).toBe(true);
    },
    withoutPatch: (seen: { ipv6: string[][]; assign?: boolean }) => {
      expect(seen.ipv6).toEqual([]);
      expect(seen.assign).toBe(false);
    },
  },
  {
    patch: 'egress_only_internet_gateway',
    behaviour: '`AWS::EC2::EgressOnlyInternetGateway` creates a gateway attached to the VPC',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Gateway: { Type: 'AWS::EC2::EgressOnlyInternetGateway', Properties: { VpcId: ref('Vpc') } },
        },
        Outputs: { VpcId: { Value: ref('Vpc') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { EgressOnlyInternetGateways } = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({}));
      return (EgressOnlyInternetGateways ?? []).filter((g) =>
        g.Attachments?.some((a) => a.VpcId === stack.outputs.VpcId),
      ).length;
    },
    onAws: (seen: number) => expect(seen).toBe(1),
    withoutPatch: (seen: number) => expect(seen).toBe(0),
  },
  {
    patch: 'route_ipv6',
    behaviour: 'a `::/0` route keeps its destination and its egress-only gateway',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Ipv6Block: ipv6Block,
          Gateway: { Type: 'AWS::EC2::EgressOnlyInternetGateway', Properties: { VpcId: ref('Vpc') } },
          Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref('Vpc') } },
          Route: {
            Type: 'AWS::EC2::Route',
            Properties: {
              RouteTableId: ref('Table'),
              DestinationIpv6CidrBlock: '::/0',
              EgressOnlyInternetGatewayId: ref('Gateway'),
            },
          },
        },
        Outputs: { TableId: { Value: ref('Table') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { RouteTables } = await ec2.send(
        new DescribeRouteTablesCommand({ RouteTableIds: [stack.outputs.TableId ?? ''] }),
      );
      return (RouteTables?.[0]?.Routes ?? [])
        .filter((r) => r.GatewayId !== 'local')
        .map((r) => [
          r.DestinationIpv6CidrBlock ?? r.DestinationCidrBlock ?? null,
          r.EgressOnlyInternetGatewayId ?? null,
        ]);
    },
    onAws: (seen: (string | null)[][]) => {
      expect(seen).toHaveLength(1);
      expect(seen[0]?.[0]).toBe('::/0');
      expect(seen[0]?.[1]).toMatch(/^eigw-/);
    },
    withoutPatch: (seen: (string | null)[][]) => expect(seen.some((r) => r[0] === '::/0')).toBe(false),
  },
  {
    patch: 'subnet_route_table_association',
    behaviour: '`AWS::EC2::SubnetRouteTableAssociation` shows in the route table associations',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: ref('Vpc'), CidrBlock: '10.0.1.0/24' } },
          Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref('Vpc') } },
          Association: {
            Type: 'AWS::EC2::SubnetRouteTableAssociation',
            Properties: { RouteTableId: ref('Table'), SubnetId: ref('Subnet') },
          },
        },
        Outputs: { TableId: { Value: ref('Table') }, SubnetId: { Value: ref('Subnet') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { RouteTables } = await ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'association.subnet-id', Values: [stack.outputs.SubnetId ?? ''] }],
        }),
      );
      return { expected: stack.outputs.TableId, found: RouteTables?.map((t) => t.RouteTableId) ?? [] };
    },
    onAws: (seen: { expected?: string; found: string[] }) => expect(seen.found).toEqual([seen.expected]),
    withoutPatch: (seen: { expected?: string; found: string[] }) => expect(seen.found).toEqual([]),
  },
  {
    patch: 'security_group_rules',
    behaviour: 'inline IPv6 ingress and explicit egress replace the default allow-all egress',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Group: {
            Type: 'AWS::EC2::SecurityGroup',
            Properties: {
              GroupDescription: 'web',
              VpcId: ref('Vpc'),
              SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIpv6: '::/0' }],
              SecurityGroupEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: '::/0' }],
            },
          },
        },
        Outputs: { GroupId: { Value: ref('Group') } },
      });
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { SecurityGroups } = await ec2.send(
        new DescribeSecurityGroupsCommand({ GroupIds: [stack.outputs.GroupId ?? ''] }),
      );
      const rules = (permissions = SecurityGroups?.[0]?.IpPermissions) =>
        (permissions ?? []).flatMap((p) => [
          ...(p.IpRanges ?? []).map((r) => `${p.IpProtocol}:${p.FromPort ?? ''} ${r.CidrIp}`),
          ...(p.Ipv6Ranges ?? []).map((r) => `${p.IpProtocol}:${p.FromPort ?? ''} ${r.CidrIpv6}`),
        ]);
      return { ingress: rules(), egress: rules(SecurityGroups?.[0]?.IpPermissionsEgress) };
    },
    onAws: (seen: { ingress: string[]; egress: string[] }) => {
      expect(seen.ingress).toEqual(['tcp:80 ::/0']);
      expect(seen.egress).toEqual(['tcp:443 ::/0']);
    },
    withoutPatch: (seen: { ingress: string[]; egress: string[] }) => {
      expect(seen.ingress).toEqual([]);
      expect(seen.egress).toContain('-1: 0.0.0.0/0');
    },
  },
  {
    patch: 'alb_dualstack',
    behaviour: 'an ALB with `IpAddressType: dualstack` is dual-stack',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Ipv6Block: ipv6Block,
          SubnetA: ipv6Subnet(0),
          SubnetB: ipv6Subnet(1),
          Alb: {
            Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
            Properties: {
              IpAddressType: 'dualstack',
              Scheme: 'internet-facing',
              Subnets: [ref('SubnetA'), ref('SubnetB')],
            },
          },
        },
        Outputs: { Arn: { Value: ref('Alb') } },
      });
      const elb = new ElasticLoadBalancingV2Client(clientConfig(endpoint));
      const { LoadBalancers } = await elb.send(
        new DescribeLoadBalancersCommand({ LoadBalancerArns: [stack.outputs.Arn ?? ''] }),
      );
      return LoadBalancers?.[0]?.IpAddressType;
    },
    onAws: (seen: string) => expect(seen).toBe('dualstack'),
    withoutPatch: (seen: string) => expect(seen).toBe('ipv4'),
  },
  {
    patch: 'no_value_in_lists',
    behaviour: 'Ref AWS::NoValue (also as the branch Fn::If picks) removes a list item: a sidecar-less task is created',
    observe: async (endpoint) => {
      const noValue = ref('AWS::NoValue');
      const stack = await createStack(endpoint, {
        Parameters: { Image: { Type: 'String', Default: '' } },
        Conditions: { HasImage: { 'Fn::Not': [{ 'Fn::Equals': [ref('Image'), ''] }] } },
        Resources: {
          Task: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: {
              Family: `gap-task-${++counter}`,
              Memory: 512,
              ContainerDefinitions: [
                {
                  Name: 'probe',
                  Image: 'probe:1',
                  Environment: [
                    { Name: 'A', Value: '1' },
                    { 'Fn::If': ['HasImage', { Name: 'B', Value: '2' }, noValue] },
                  ],
                },
                { 'Fn::If': ['HasImage', { Name: 'service', Image: ref('Image') }, noValue] },
              ],
            },
          },
        },
        Outputs: { Arn: { Value: ref('Task') } },
      });
      if (!stack.outputs.Arn) return { status: stack.status };
      const ecs = new ECSClient(clientConfig(endpoint));
      const { taskDefinition } = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: stack.outputs.Arn }),
      );
      const containers = taskDefinition?.containerDefinitions ?? [];
      return { status: stack.status, containers: containers.map((c) => [c.name, c.environment]) };
    },
    onAws: (seen: object) =>
      expect(seen).toEqual({ status: 'CREATE_COMPLETE', containers: [['probe', [{ name: 'A', value: '1' }]]] }),
    withoutPatch: (seen: { status: string }) => expect(seen.status).not.toBe('CREATE_COMPLETE'),
  },
  {
    patch: 'ecs_task_definition_properties',
    behaviour: 'a Fargate task definition keeps cpu, network mode, compatibilities and string environment values',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Parameters: { Port: { Type: 'Number', Default: 3000 } },
        Resources: {
          Task: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: {
              Family: `gap-task-${++counter}`,
              Cpu: 256,
              Memory: 512,
              NetworkMode: 'awsvpc',
              RequiresCompatibilities: ['FARGATE'],
              ContainerDefinitions: [
                { Name: 'probe', Image: 'probe:1', Environment: [{ Name: 'PORT', Value: ref('Port') }] },
              ],
            },
          },
        },
        Outputs: { Arn: { Value: ref('Task') } },
      });
      if (!stack.outputs.Arn) return { status: stack.status };
      const ecs = new ECSClient(clientConfig(endpoint));
      const { taskDefinition } = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: stack.outputs.Arn }),
      );
      return {
        status: stack.status,
        cpu: taskDefinition?.cpu,
        networkMode: taskDefinition?.networkMode,
        requiresCompatibilities: taskDefinition?.requiresCompatibilities,
        environment: taskDefinition?.containerDefinitions?.[0]?.environment,
      };
    },
    onAws: (seen: object) =>
      expect(seen).toEqual({
        status: 'CREATE_COMPLETE',
        cpu: '256',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        environment: [{ name: 'PORT', value: '3000' }],
      }),
    withoutPatch: (seen: object) =>
      expect(seen).toEqual({
        status: 'CREATE_COMPLETE',
        cpu: undefined,
        networkMode: 'bridge',
        requiresCompatibilities: undefined,
        environment: [{ name: 'PORT', value: 3000 }],
      }),
  },
  {
    patch: 'ecs_service_properties',
    behaviour: 'an ECS service keeps its awsvpc configuration, load balancer and launch type',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: ref('Vpc'), CidrBlock: '10.0.1.0/24' } },
          Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'task', VpcId: ref('Vpc') } },
          Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} },
          Task: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: {
              Family: `gap-${counter}`,
              ContainerDefinitions: [{ Name: 'probe', Image: 'probe:1', Memory: 512 }],
            },
          },
          Service: {
            Type: 'AWS::ECS::Service',
            Properties: {
              Cluster: ref('Cluster'),
              TaskDefinition: ref('Task'),
              LaunchType: 'FARGATE',
              DesiredCount: 1,
              NetworkConfiguration: {
                AwsvpcConfiguration: {
                  AssignPublicIp: 'DISABLED',
                  Subnets: [ref('Subnet')],
                  SecurityGroups: [ref('Group')],
                },
              },
            },
          },
        },
        Outputs: { Cluster: { Value: ref('Cluster') }, Service: { Value: getAtt('Service', 'Name') } },
      });
      const ecs = new ECSClient(clientConfig(endpoint));
      const { services } = await ecs.send(
        new DescribeServicesCommand({ cluster: stack.outputs.Cluster, services: [stack.outputs.Service ?? ''] }),
      );
      return {
        assignPublicIp: services?.[0]?.networkConfiguration?.awsvpcConfiguration?.assignPublicIp,
        launchType: services?.[0]?.launchType,
      };
    },
    onAws: (seen: object) => expect(seen).toEqual({ assignPublicIp: 'DISABLED', launchType: 'FARGATE' }),
    withoutPatch: (seen: { assignPublicIp?: string }) => expect(seen.assignPublicIp).toBeUndefined(),
  },
  {
    patch: 'stack_tags',
    behaviour: 'stack tags reach ECS and ELBv2 resources, found by the tagging API',
    observe: async (endpoint) => {
      const id = `env-tags${String(++counter).padStart(8, '0')}`;
      await createStack(
        endpoint,
        {
          Resources: {
            Vpc: vpc,
            Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} },
            Targets: {
              Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
              Properties: { VpcId: ref('Vpc'), Port: 80, Protocol: 'HTTP' },
            },
          },
        },
        { [ENVIRONMENT_TAG]: id },
      );
      const tagging = new ResourceGroupsTaggingAPIClient(clientConfig(endpoint));
      const { ResourceTagMappingList } = await tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: ENVIRONMENT_TAG, Values: [id] }] }),
      );
      return [...new Set((ResourceTagMappingList ?? []).map((m) => m.ResourceARN?.split(':')[2]))].sort();
    },
    onAws: (seen: string[]) => expect(seen).toEqual(['cloudformation', 'ec2', 'ecs', 'elasticloadbalancing']),
    withoutPatch: (seen: string[]) => expect(seen).toEqual(['cloudformation', 'ec2']),
  },
  {
    patch: 'complete_stack_delete',
    behaviour: 'DeleteStack removes the VPC with its gateway, routes and associations, and the ECS cluster',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Gateway: { Type: 'AWS::EC2::InternetGateway', Properties: {} },
          Attachment: {
            Type: 'AWS::EC2::VPCGatewayAttachment',
            Properties: { VpcId: ref('Vpc'), InternetGatewayId: ref('Gateway') },
          },
          Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: ref('Vpc'), CidrBlock: '10.0.1.0/24' } },
          Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref('Vpc') } },
          Route: {
            Type: 'AWS::EC2::Route',
            DependsOn: 'Attachment',
            Properties: { RouteTableId: ref('Table'), DestinationCidrBlock: '0.0.0.0/0', GatewayId: ref('Gateway') },
          },
          Association: {
            Type: 'AWS::EC2::SubnetRouteTableAssociation',
            Properties: { RouteTableId: ref('Table'), SubnetId: ref('Subnet') },
          },
          Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} },
        },
        Outputs: { VpcId: { Value: ref('Vpc') }, Cluster: { Value: ref('Cluster') } },
      });
      await deleteStack(endpoint, stack.stackId ?? '', 10_000).catch(() => undefined);
      const ec2 = new EC2Client(clientConfig(endpoint));
      const { Vpcs } = await ec2.send(
        new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [stack.outputs.VpcId ?? ''] }] }),
      );
      const ecs = new ECSClient(clientConfig(endpoint));
      const clusters = await ecs.send(new DescribeClustersCommand({ clusters: [stack.outputs.Cluster ?? ''] }));
      // A subnet made outside the stack blocks the VPC: the stack must stay DELETE_FAILED, and a retried
      // DeleteStack must finish once the blocker is gone.
      const blocked = await createStack(endpoint, {
        Resources: { Vpc: vpc },
        Outputs: { VpcId: { Value: ref('Vpc') } },
      });
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({ VpcId: blocked.outputs.VpcId, CidrBlock: '10.0.9.0/24' }),
      );
      const firstDelete = await deleteStack(endpoint, blocked.stackId ?? '', 10_000).catch((e: Error) => e.name);
      await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet?.SubnetId }));
      const retriedDelete = await deleteStack(endpoint, blocked.stackId ?? '', 10_000).catch((e: Error) => e.name);
      return {
        vpcsLeft: Vpcs?.length ?? 0,
        activeClusters: (clusters.clusters ?? []).filter((c) => c.status === 'ACTIVE').length,
        firstDelete,
        retriedDelete,
      };
    },
    onAws: (seen: object) =>
      expect(seen).toEqual({
        vpcsLeft: 0,
        activeClusters: 0,
        firstDelete: 'DELETE_FAILED',
        retriedDelete: 'DELETE_COMPLETE',
      }),
    withoutPatch: (seen: { vpcsLeft: number; activeClusters: number; firstDelete: string }) => {
      expect(seen.vpcsLeft + seen.activeClusters).toBeGreaterThan(0);
      expect(seen.firstDelete).not.toBe('DELETE_FAILED');
    },
  },
  {
    patch: 'stack_create_failure',
    behaviour: 'a failing resource leaves the stack CREATE_FAILED with the cause in its events',
    observe: async (endpoint) => {
      const stack = await createStack(endpoint, {
        Resources: {
          Vpc: vpc,
          Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: ref('Vpc'), CidrBlock: '192.168.0.0/24' } },
        },
      });
      const cfn = new CloudFormationClient(clientConfig(endpoint));
      const listed = (await cfn.send(new DescribeStacksCommand({}))).Stacks?.find(
        (s) => s.StackName === `gap-${counter}`,
      );
      const events = listed?.StackId
        ? ((await cfn.send(new DescribeStackEventsCommand({ StackName: listed.StackId }))).StackEvents ?? [])
        : [];
      return {
        created: stack.status,
        listedAs: listed?.StackStatus,
        failedResources: events.filter((e) => e.ResourceStatus === 'CREATE_FAILED' && e.LogicalResourceId === 'Subnet')
          .length,
      };
    },
    onAws: (seen: object) =>
      expect(seen).toEqual({ created: 'CREATE_FAILED', listedAs: 'CREATE_FAILED', failedResources: 1 }),
    withoutPatch: (seen: object) =>
      expect(seen).toEqual({ created: 'ERROR', listedAs: 'CREATE_IN_PROGRESS', failedResources: 0 }),
  },
  {
    patch: 'stack_request_tokens',
    behaviour: 'each stack event carries the ClientRequestToken of the CreateStack or DeleteStack that caused it',
    observe: async (endpoint) => {
      const cfn = new CloudFormationClient(clientConfig(endpoint));
      const name = `gap-${++counter}`;
      const { StackId } = await cfn.send(
        new CreateStackCommand({
          StackName: name,
          ClientRequestToken: `${name}-create-1`,
          TemplateBody: JSON.stringify({ Resources: { Vpc: vpc } }),
        }),
      );
      await cfn.send(new DeleteStackCommand({ StackName: StackId, ClientRequestToken: `${name}-delete-1` }));
      const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: StackId }));
      const byStatus = Object.fromEntries(
        (StackEvents ?? [])
          .filter((e) => e.LogicalResourceId === name)
          .map((e) => [e.ResourceStatus, e.ClientRequestToken?.replace(name, '<stack>') ?? null]),
      );
      return byStatus;
    },
    onAws: (seen: object) =>
      expect(seen).toEqual({
        CREATE_IN_PROGRESS: '<stack>-create-1',
        CREATE_COMPLETE: '<stack>-create-1',
        DELETE_IN_PROGRESS: '<stack>-delete-1',
        DELETE_COMPLETE: '<stack>-delete-1',
      }),
    withoutPatch: (seen: Record<string, unknown>) => {
      expect(seen.CREATE_COMPLETE).toBeNull();
      expect(seen.DELETE_COMPLETE).toBeNull();
    },
  },
  {
    patch: 'tagging_api_coverage',
    behaviour: 'the tagging API finds a tagged egress-only gateway and VPC endpoint, and tolerates untagged clusters',
    observe: async (endpoint) => {
      await createStack(endpoint, { Resources: { Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} } } });
      const id = `env-cover${String(++counter).padStart(7, '0')}`;
      await createStack(
        endpoint,
        {
          Resources: {
            Vpc: vpc,
            Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref('Vpc') } },
            Gateway: { Type: 'AWS::EC2::EgressOnlyInternetGateway', Properties: { VpcId: ref('Vpc') } },
            Endpoint: {
              Type: 'AWS::EC2::VPCEndpoint',
              Properties: {
                VpcId: ref('Vpc'),
                ServiceName: 'com.amazonaws.us-east-1.s3',
                RouteTableIds: [ref('Table')],
              },
            },
          },
        },
        { [ENVIRONMENT_TAG]: id },
      );
      const tagging = new ResourceGroupsTaggingAPIClient(clientConfig(endpoint));
      const search = async (types?: string[]) => {
        try {
          const { ResourceTagMappingList } = await tagging.send(
            new GetResourcesCommand({
              TagFilters: [{ Key: ENVIRONMENT_TAG, Values: [id] }],
              ResourceTypeFilters: types,
            }),
          );
          return (ResourceTagMappingList ?? []).map((m) => m.ResourceARN?.split(':')[5]?.split('/')[0]).sort();
        } catch (error) {
          return `${(error as Error).name}`;
        }
      };
      return { ec2Only: await search(['ec2']), all: await search() };
    },
    onAws: (seen: object) => {
      const found = ['egress-only-internet-gateway', 'route-table', 'vpc', 'vpc-endpoint'];
      expect(seen).toEqual({ ec2Only: found, all: ['stack', ...found].sort() });
    },
    withoutPatch: (seen: { ec2Only: unknown; all: unknown }) => {
      expect(seen.ec2Only).toEqual(['route-table', 'vpc']);
      expect(seen.all).not.toBeInstanceOf(Array);
    },
  },
];

describe('emulator patches', () => {
  let extended: RunningEmulator;
  // One emulator per disabled patch. Startup dominates the run time, so a few start at once (more would exceed
  // the start-up timeout on two cores).
  const withoutPatches = new Map<string, RunningEmulator>();
  beforeAll(async () => {
    extended = await startEmulator();
    const queue = cases.map((c) => c.patch);
    const worker = async () => {
      for (let patch = queue.shift(); patch !== undefined; patch = queue.shift()) {
        withoutPatches.set(patch, await startEmulator({ disablePatches: [patch] }));
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }, 240_000);
  afterAll(async () => {
    await Promise.all([extended, ...withoutPatches.values()].map((e) => e?.stop()));
  });

  describe.each(cases)('$patch', (gap) => {
    it(`behaves like AWS: ${gap.behaviour}`, async () => {
      const seen = await gap.observe(extended.endpoint);
      (gap.onAws as (s: unknown) => void)(seen);
    });

    it('shows the moto 5.2.1 gap when the patch is disabled', async () => {
      const withoutPatch = withoutPatches.get(gap.patch);
      if (!withoutPatch) throw new Error(`no emulator without ${gap.patch}`);
      const seen = await gap.observe(withoutPatch.endpoint);
      (gap.withoutPatch as (s: unknown) => void)(seen);
    });
  });

  it('registers exactly the patches tested here, plus the fault switches tested by test/local/faults*.test.ts', async () => {
    const { readFile } = await import('node:fs/promises');
    const init = await readFile(new URL('../../local/emulator/patches/__init__.py', import.meta.url), 'utf8');
    const registered = [...(init.split('PATCHES = [')[1]?.split(']')[0] ?? '').matchAll(/"([a-z0-9_]+)"/g)].map(
      (m) => m[1],
    );
    const faultSwitches = ['fault_injection'];
    expect(registered.sort()).toEqual([...cases.map((c) => c.patch), ...faultSwitches].sort());
  });
});
