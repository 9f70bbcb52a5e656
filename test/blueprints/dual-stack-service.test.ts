// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings, not JavaScript templates
import { describe, expect, it } from 'vitest';
import { type CfnObject, getAttTarget, refTarget } from '../../blueprints/template-loader.js';
import {
  allStrings,
  blueprint,
  describeRule,
  egressOf,
  ingressOf,
  number,
  onlyOfType,
  props,
  resource,
  routesOf,
  routeTableOfSubnet,
  sameResource,
  subnets,
  target,
} from './blueprint-queries.js';

const loadBalancer = onlyOfType('service', 'AWS::ElasticLoadBalancingV2::LoadBalancer');
const targetGroup = onlyOfType('service', 'AWS::ElasticLoadBalancingV2::TargetGroup');
const listener = onlyOfType('service', 'AWS::ElasticLoadBalancingV2::Listener');
const service = onlyOfType('service', 'AWS::ECS::Service');
const taskDefinition = onlyOfType('service', 'AWS::ECS::TaskDefinition');
const serviceProps = props('service', service);
const awsvpc = (serviceProps.NetworkConfiguration as CfnObject).AwsvpcConfiguration as CfnObject;
const container = (props('service', taskDefinition).ContainerDefinitions as CfnObject[])[0] as CfnObject;

const albGroup = target('service', (props('service', loadBalancer).SecurityGroups as never[])[0]);
const taskGroup = target('service', (awsvpc.SecurityGroups as never[])[0]);
const endpointGroup = target('network', (props('network', 'EcrApiEndpoint').SecurityGroupIds as never[])[0]);
const containerPort = number('service', (container.PortMappings as CfnObject[])[0]?.ContainerPort);

describe('load balancer', () => {
  it('is an internet-facing dual-stack application load balancer in the public subnets', () => {
    // Act
    const alb = props('service', loadBalancer);

    // Assess
    expect(alb.Type ?? 'application').toBe('application');
    expect(alb.Scheme).toBe('internet-facing');
    expect(alb.IpAddressType).toBe('dualstack');
    for (const subnet of subnets('service', alb.Subnets)) {
      expect(routesOf(routeTableOfSubnet(subnet)).map((r) => r.targetType)).toContain('AWS::EC2::InternetGateway');
    }
  });

  it('listens on HTTP:80 and forwards to an IP target group on the container port, health-checked on /health', () => {
    // Prepare
    const l = props('service', listener);
    const tg = props('service', targetGroup);
    const action = (l.DefaultActions as CfnObject[])[0] as CfnObject;

    // Assess
    expect(refTarget(l.LoadBalancerArn)).toBe(loadBalancer);
    expect([l.Protocol, l.Port]).toEqual(['HTTP', 80]);
    expect(action.Type).toBe('forward');
    expect(refTarget(action.TargetGroupArn)).toBe(targetGroup);
    expect(tg.TargetType).toBe('ip');
    expect(tg.Protocol).toBe('HTTP');
    expect(number('service', tg.Port)).toBe(3000);
    expect(tg.HealthCheckPath).toBe('/health');
  });

  it('drains targets quickly (short deregistration delay) so teardown is not held up', () => {
    const attributes = props('service', targetGroup).TargetGroupAttributes as CfnObject[];
    const delay = attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds');
    expect(Number(delay?.Value)).toBeLessThanOrEqual(30);
  });
});

describe('security groups', () => {
  it('admits IPv4 and IPv6 clients to the ALB on TCP 80 and nothing else', () => {
    expect(ingressOf(albGroup).map((r) => describeRule(r, 'from'))).toEqual([
      'tcp/80 from 0.0.0.0/0',
      'tcp/80 from ::/0',
    ]);
  });

  it('lets the ALB talk to the tasks on the container port only, in both directions of the rule pair', () => {
    // Act
    const albOut = egressOf(albGroup).map((r) => describeRule(r, 'to'));
    const taskIn = ingressOf(taskGroup).map((r) => describeRule(r, 'from'));

    // Assess
    expect(containerPort).toBe(3000);
    expect(albOut).toEqual([`tcp/3000 to sg:${taskGroup.part}/${taskGroup.logicalId}`]);
    expect(taskIn).toEqual([`tcp/3000 from sg:${albGroup.part}/${albGroup.logicalId}`]);
  });

  it('lets the tasks out on TCP 443 only: IPv6 anywhere, the endpoint group, and IPv4 that only S3 routes exist for', () => {
    // Act
    const taskOut = egressOf(taskGroup).map((r) => describeRule(r, 'to'));

    // Assess
    expect(taskOut.sort()).toEqual(
      [
        'tcp/443 to ::/0',
        `tcp/443 to sg:${endpointGroup.part}/${endpointGroup.logicalId}`,
        'tcp/443 to 0.0.0.0/0',
      ].sort(),
    );
    // The IPv4 rule is bounded by routing: the task subnets have no IPv4 route other than the VPC and S3's prefix list.
    for (const subnet of subnets('service', awsvpc.Subnets)) {
      const ipv4Routes = routesOf(routeTableOfSubnet(subnet)).filter((r) => !r.destination.includes(':'));
      expect(ipv4Routes).toEqual([]);
    }
  });

  it('admits only the tasks to the interface endpoints, on TCP 443, and lets the endpoints initiate nothing', () => {
    expect(ingressOf(endpointGroup).map((r) => describeRule(r, 'from'))).toEqual([
      `tcp/443 from sg:${taskGroup.part}/${taskGroup.logicalId}`,
    ]);
    expect(egressOf(endpointGroup)).toEqual([]);
  });
});

describe('task', () => {
  it('runs 256 CPU / 512 MiB on Fargate (awsvpc, X86_64 Linux) by default', () => {
    // Act
    const td = props('service', taskDefinition);

    // Assess
    expect(number('service', td.Cpu)).toBe(256);
    expect(number('service', td.Memory)).toBe(512);
    expect(td.NetworkMode).toBe('awsvpc');
    expect(td.RequiresCompatibilities).toEqual(['FARGATE']);
    expect(td.RuntimePlatform).toEqual({ CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' });
  });

  it('listens on 3000 and tells the probe its port and to force IPv6 for its AWS calls', () => {
    // Act
    const environment = Object.fromEntries(
      (container.Environment as CfnObject[]).map((e) => [e.Name, String(number('service', e.Value))]),
    );

    // Assess
    expect(containerPort).toBe(3000);
    expect(environment).toEqual({ PORT: '3000', PROBE_IP_FAMILY: '6' });
    expect(container.Image).toEqual({ Ref: 'ImageUri' });
  });

  it('ships its logs (non-blocking) to a log group that expires them', () => {
    // Prepare
    const log = container.LogConfiguration as { LogDriver: string; Options: CfnObject };
    const group = refTarget(log.Options['awslogs-group']) as string;

    // Assess
    expect(log.LogDriver).toBe('awslogs');
    expect(log.Options.mode).toBe('non-blocking');
    expect(resource('service', group).Type).toBe('AWS::Logs::LogGroup');
    expect(number('service', props('service', group).RetentionInDays)).toBeGreaterThan(0);
  });
});

describe('IAM', () => {
  const trustOf = (part: 'cluster' | 'service', role: string) =>
    (props(part, role).AssumeRolePolicyDocument as { Statement: CfnObject[] }).Statement;

  it('lets the task do exactly s3:ListAllMyBuckets and ec2:DescribeInstances, and nothing else', () => {
    // Prepare
    const role = getAttTarget(props('service', taskDefinition).TaskRoleArn);

    // Act
    const rp = props('service', role?.[0] as string);
    const statements = (rp.Policies as { PolicyDocument: { Statement: CfnObject[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );

    // Assess
    expect(role?.[1]).toBe('Arn');
    expect(rp.ManagedPolicyArns).toBeUndefined();
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(statements.flatMap((s) => s.Action as string[]).sort()).toEqual([
      'ec2:DescribeInstances',
      's3:ListAllMyBuckets',
    ]);
  });

  it('gives the execution role the ECS task-execution managed policy, passed to the task by ARN', () => {
    // Act
    const execution = target('service', props('service', taskDefinition).ExecutionRoleArn);

    // Assess
    expect(execution.part).toBe('cluster');
    expect(getAttTarget(blueprint.cluster.Outputs?.ExecutionRoleArn?.Value)).toEqual([execution.logicalId, 'Arn']);
    expect(props('cluster', execution.logicalId).ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy' },
    ]);
  });

  it('lets only ECS tasks of this account assume either role (confused-deputy conditions)', () => {
    const execution = target('service', props('service', taskDefinition).ExecutionRoleArn).logicalId;
    const task = getAttTarget(props('service', taskDefinition).TaskRoleArn)?.[0] as string;
    for (const statement of [...trustOf('cluster', execution), ...trustOf('service', task)]) {
      expect(statement.Principal).toEqual({ Service: 'ecs-tasks.amazonaws.com' });
      const condition = statement.Condition as { StringEquals: CfnObject; ArnLike: CfnObject };
      expect(condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(condition.ArnLike['aws:SourceArn']).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*',
      });
    }
  });

  it('builds every ARN with ${AWS::Partition} (works in aws-cn and aws-us-gov)', () => {
    for (const [part, template] of Object.entries(blueprint)) {
      const arns = allStrings(template.Resources).filter((s) => /arn:/.test(s));
      for (const arn of arns) expect(arn, part).toMatch(/^arn:\$\{AWS::Partition\}:/);
    }
  });
});

describe('cluster and service', () => {
  it('runs in a Fargate-only cluster', () => {
    const cluster = target('service', serviceProps.Cluster);
    expect(resource(cluster.part, cluster.logicalId).Type).toBe('AWS::ECS::Cluster');
    expect(props(cluster.part, cluster.logicalId).CapacityProviders).toEqual(['FARGATE']);
    expect(serviceProps.LaunchType).toBe('FARGATE');
  });

  it('places tasks in the private subnets with no public IPv4 address', () => {
    expect(awsvpc.AssignPublicIp).toBe('DISABLED');
    for (const subnet of subnets('service', awsvpc.Subnets)) {
      expect(routesOf(routeTableOfSubnet(subnet)).map((r) => r.targetType)).not.toContain('AWS::EC2::InternetGateway');
    }
  });

  it('registers the probe container behind the target group and runs one task by default', () => {
    expect(serviceProps.LoadBalancers).toEqual([
      { ContainerName: container.Name, ContainerPort: { Ref: 'ContainerPort' }, TargetGroupArn: { Ref: targetGroup } },
    ]);
    expect(number('service', serviceProps.DesiredCount)).toBe(1);
  });

  it('rolls back a failing deployment and gives new tasks a health-check grace period', () => {
    const deployment = serviceProps.DeploymentConfiguration as CfnObject;
    expect(deployment.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
    expect(deployment.MaximumPercent).toBe(200);
    expect(deployment.MinimumHealthyPercent).toBe(75);
    expect(number('service', serviceProps.HealthCheckGracePeriodSeconds)).toBeGreaterThan(0);
  });

  it('starts only after the listener exists and the endpoints admit the tasks', () => {
    // Prepare
    const endpointIngress = Object.entries(blueprint.service.Resources).find(
      ([, r]) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        sameResource(target('service', r.Properties?.GroupId), endpointGroup),
    )?.[0];

    // Assess
    expect(endpointIngress).toBeDefined();
    expect(resource('service', service).DependsOn).toEqual(expect.arrayContaining([listener, endpointIngress]));
  });

  it('exposes the load balancer’s DNS name as PublicURI', () => {
    expect(getAttTarget(blueprint.service.Outputs?.PublicURI?.Value)).toEqual([loadBalancer, 'DNSName']);
  });
});
