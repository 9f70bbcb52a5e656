import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ENVIRONMENT_STACK_PREFIX, PROJECT_PREFIX } from '../../functions/domain/naming.js';
import type { BlueprintStore } from './blueprint-store.js';
import { acknowledgeWildcardResources } from './nag-acknowledgements.js';

export interface CloudFormationRoleProps {
  /** Where the blueprint's templates live: nested stacks read them with this role. */
  readonly blueprints: BlueprintStore;
  /**
   * Name prefix of the environments' stacks. Nested stacks and their unnamed IAM roles get names that
   * start with it (CloudFormation names them `<parent stack>-<logical id>-<suffix>`).
   * @default 'dsenv-env-'
   */
  readonly stackNamePrefix?: string;
  /**
   * Prefix of the blueprint's log group names.
   * @default '/dsenv/'
   */
  readonly logGroupPrefix?: string;
}

/** Resource types the blueprint creates, by service: the scope of the role. */
const EC2_ACTIONS = [
  'ec2:CreateVpc',
  'ec2:DeleteVpc',
  'ec2:ModifyVpcAttribute',
  'ec2:AssociateVpcCidrBlock',
  'ec2:DisassociateVpcCidrBlock',
  'ec2:CreateSubnet',
  'ec2:DeleteSubnet',
  'ec2:ModifySubnetAttribute',
  'ec2:CreateInternetGateway',
  'ec2:DeleteInternetGateway',
  'ec2:AttachInternetGateway',
  'ec2:DetachInternetGateway',
  'ec2:CreateEgressOnlyInternetGateway',
  'ec2:DeleteEgressOnlyInternetGateway',
  'ec2:CreateRouteTable',
  'ec2:DeleteRouteTable',
  'ec2:CreateRoute',
  'ec2:ReplaceRoute',
  'ec2:DeleteRoute',
  'ec2:AssociateRouteTable',
  'ec2:DisassociateRouteTable',
  'ec2:CreateSecurityGroup',
  'ec2:DeleteSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:CreateVpcEndpoint',
  'ec2:ModifyVpcEndpoint',
  'ec2:DeleteVpcEndpoints',
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:DescribeVpcs',
  'ec2:DescribeVpcAttribute',
  'ec2:DescribeSubnets',
  'ec2:DescribeInternetGateways',
  'ec2:DescribeEgressOnlyInternetGateways',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeVpcEndpointServices',
  'ec2:DescribePrefixLists',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeAccountAttributes',
  'ec2:DescribeNetworkInterfaces',
];

const ECS_ACTIONS = [
  'ecs:CreateCluster',
  'ecs:DeleteCluster',
  'ecs:DescribeClusters',
  'ecs:UpdateCluster',
  'ecs:UpdateClusterSettings',
  'ecs:PutClusterCapacityProviders',
  'ecs:RegisterTaskDefinition',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'ecs:CreateService',
  'ecs:UpdateService',
  'ecs:DeleteService',
  'ecs:DescribeServices',
  'ecs:TagResource',
  'ecs:UntagResource',
  'ecs:ListTagsForResource',
];

const ELB_ACTIONS = [
  'elasticloadbalancing:CreateLoadBalancer',
  'elasticloadbalancing:DeleteLoadBalancer',
  'elasticloadbalancing:ModifyLoadBalancerAttributes',
  'elasticloadbalancing:SetIpAddressType',
  'elasticloadbalancing:SetSecurityGroups',
  'elasticloadbalancing:SetSubnets',
  'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes',
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:DeleteListener',
  'elasticloadbalancing:ModifyListener',
  // The /_dsenv/* rule of an environment with a service.
  'elasticloadbalancing:CreateRule',
  'elasticloadbalancing:DeleteRule',
  'elasticloadbalancing:ModifyRule',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:RemoveTags',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeLoadBalancerAttributes',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeListenerAttributes',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTags',
];

/** The ARN patterns the blueprint's permissions are limited to. */
interface BlueprintArns {
  readonly roleArns: string[];
  readonly serviceLinkedRoles: string;
  readonly blueprintLogGroups: string;
  readonly allLogGroups: string;
  readonly nestedStacks: string;
}

function blueprintArns(stack: Stack, stackNamePrefix: string, logGroupPrefix: string): BlueprintArns {
  const logGroupArn = (name: string) =>
    stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  return {
    roleArns: [
      stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${stackNamePrefix}*` }),
      stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${PROJECT_PREFIX}/*` }),
    ],
    serviceLinkedRoles: stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: 'aws-service-role/*',
    }),
    blueprintLogGroups: logGroupArn(`${logGroupPrefix}*`),
    allLogGroups: logGroupArn('*'),
    nestedStacks: stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${stackNamePrefix}*/*`,
    }),
  };
}

/** The blueprint's log groups: created, retained, tagged and deleted under the prefix; described anywhere. */
function logStatements(arns: BlueprintArns): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'Logs',
      actions: [
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        'logs:DeleteRetentionPolicy',
        'logs:TagResource',
        'logs:UntagResource',
        'logs:TagLogGroup',
        'logs:ListTagsForResource',
      ],
      resources: [arns.blueprintLogGroups],
    }),
    new PolicyStatement({
      sid: 'LogsDescribe',
      actions: ['logs:DescribeLogGroups'],
      resources: [arns.allLogGroups],
    }),
  ];
}

/** The blueprint's task roles (under the prefixes), their one managed policy, and the service-linked roles. */
function roleStatements(stack: Stack, arns: BlueprintArns): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'BlueprintRoles',
      actions: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:GetRole',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:PutRolePolicy',
        'iam:GetRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
      ],
      resources: arns.roleArns,
    }),
    new PolicyStatement({
      sid: 'BlueprintRolesManagedPolicy',
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resources: arns.roleArns,
      conditions: {
        ArnEquals: {
          'iam:PolicyARN': `arn:${stack.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
        },
      },
    }),
    new PolicyStatement({
      sid: 'PassBlueprintRolesToTasks',
      actions: ['iam:PassRole'],
      resources: arns.roleArns,
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
    new PolicyStatement({
      sid: 'ServiceLinkedRoles',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [arns.serviceLinkedRoles],
      conditions: {
        StringEquals: {
          'iam:AWSServiceName': ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com'],
        },
      },
    }),
  ];
}

/** Everything the blueprint creates, in this region, and nothing else. */
function blueprintPolicy(stack: Stack, arns: BlueprintArns): PolicyDocument {
  const inRegion = { StringEquals: { 'aws:RequestedRegion': stack.region } };
  return new PolicyDocument({
    statements: [
      new PolicyStatement({ sid: 'Network', actions: EC2_ACTIONS, resources: ['*'], conditions: inRegion }),
      new PolicyStatement({ sid: 'Cluster', actions: ECS_ACTIONS, resources: ['*'], conditions: inRegion }),
      new PolicyStatement({ sid: 'LoadBalancer', actions: ELB_ACTIONS, resources: ['*'], conditions: inRegion }),
      ...logStatements(arns),
      ...roleStatements(stack, arns),
      new PolicyStatement({
        sid: 'NestedStacks',
        actions: [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:DeleteStack',
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:GetTemplate',
          'cloudformation:TagResource',
        ],
        resources: [arns.nestedStacks],
      }),
    ],
  });
}

/**
 * The role CloudFormation assumes to create and delete environments (`RoleARN` of CreateStack /
 * DeleteStack). It alone holds the blueprint's permissions; the control plane's functions may only
 * pass it to CloudFormation.
 */
export class CloudFormationRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: CloudFormationRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arns = blueprintArns(
      stack,
      props.stackNamePrefix ?? ENVIRONMENT_STACK_PREFIX,
      props.logGroupPrefix ?? `/${PROJECT_PREFIX}/`,
    );
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'Assumed by CloudFormation to create and delete dual-stack environments from the blueprint',
      inlinePolicies: { Blueprint: blueprintPolicy(stack, arns) },
    });
    props.blueprints.grantReadTemplates(this.role);
    this.acknowledgeWildcards(arns);
    props.blueprints.acknowledgeTemplateRead(this.role);
  }

  private acknowledgeWildcards(arns: BlueprintArns): void {
    acknowledgeWildcardResources(
      this.role,
      ['*'],
      'EC2, ECS and ELB create/describe calls name resources that do not exist yet (generated ids) or support no ' +
        'resource-level permissions; they are limited to the listed actions and to this region.',
    );
    acknowledgeWildcardResources(
      this.role,
      [arns.roleArns, arns.serviceLinkedRoles, arns.blueprintLogGroups, arns.allLogGroups, arns.nestedStacks].flat(),
      "Limited to the environments' name prefixes (stacks, their generated role names, /dsenv/ log groups) and to " +
        'the ECS/ELB service-linked roles (by iam:AWSServiceName); the wildcards are generated suffixes.',
    );
  }
}
