// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings, not JavaScript templates
import { describe, expect, it } from 'vitest';
import { inventoryFromBlueprint } from '../../bench/blueprint-cost.js';
import { quotedInventory } from '../../blueprints/blueprint-inventory.js';
import { resolveBlueprint, traceValue } from '../../blueprints/blueprint-wiring.js';
import { type CfnObject, type CfnValue, isObject, refTarget } from '../../blueprints/template-loader.js';
import { sizedInventory } from '../../functions/domain/cost.js';
import { serviceParameters } from '../../functions/domain/service-parameters.js';
import { ServiceSpec } from '../../functions/schemas/service.js';
import { blueprint as probeOnly, writtenBlueprint } from './blueprint-queries.js';

/** The parent parameters the control plane sends for `service` (functions/domain/service-parameters.ts). */
function deployedWith(service: ServiceSpec) {
  const overrides = Object.fromEntries(serviceParameters(service).map((p) => [p.ParameterKey, p.ParameterValue]));
  return { overrides, resolved: resolveBlueprint(writtenBlueprint, overrides as Record<string, string>) };
}

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/db-AbCdEf';
const PARAMETER = 'arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/api-key';
const service = ServiceSpec.parse({
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service:1',
  port: 8080,
  healthPath: '/healthz',
  healthyHttpCodes: '200-299',
  command: ['node', 'server.mjs', '--greeting=hi'],
  environment: { GREETING: 'hello world', MODE: 'demo' },
  secrets: { DB_PASSWORD: SECRET, API_KEY: PARAMETER },
});
const { overrides, resolved } = deployedWith(service);
const svc = resolved.service;
const propsOf = (id: string): CfnObject => {
  const found = svc.Resources[id];
  if (found === undefined) throw new Error(`service has no resource ${id}`);
  return found.Properties ?? {};
};
/** A value of the service template as deployed with `overrides` (parameters traced through the parent). */
const deployed = (value: CfnValue | undefined): CfnValue =>
  traceValue(resolved, 'service', value ?? null, overrides).value;
const ofType = (type: string) =>
  Object.entries(svc.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
const containers = () => propsOf('TaskDefinition').ContainerDefinitions as CfnObject[];
const containerNamed = (name: string) => containers().find((c) => c.Name === name) as CfnObject;
const environmentOf = (container: CfnObject) =>
  Object.fromEntries((container.Environment as CfnObject[]).map((e) => [deployed(e.Name), deployed(e.Value)]));

describe('with a service: the team’s container and the probe as its sidecar', () => {
  it('runs two containers in one awsvpc task: the service (its image, command, PORT and variables) and the probe', () => {
    // Act
    const serviceContainer = containerNamed('service');
    const probe = containerNamed('probe');

    // Assess
    expect(containers().map((c) => c.Name)).toEqual(['probe', 'service']);
    expect(propsOf('TaskDefinition').NetworkMode).toBe('awsvpc');
    expect(deployed(serviceContainer.Image)).toBe(service.image);
    expect(deployed((serviceContainer.Command as CfnObject)['Fn::Split'] as CfnValue)).toEqual([
      ',',
      { Ref: 'ServiceCommand' },
    ]);
    expect(overrides.ServiceCommand?.split(',')).toEqual(service.command);
    expect(environmentOf(serviceContainer)).toEqual({ PORT: '8080', GREETING: 'hello world', MODE: 'demo' });
    expect(deployed((serviceContainer.PortMappings as CfnObject[])[0]?.ContainerPort)).toBe('8080');
    expect(environmentOf(probe)).toMatchObject({ PROBE_BASE_PATH: '/_dsenv', PORT: 3000 });
  });

  it('has two target groups: the service’s on its port and health path, the probe’s on 3000 under /_dsenv/', () => {
    // Act
    const groups = ofType('AWS::ElasticLoadBalancingV2::TargetGroup').map(propsOf);
    const byPort = Object.fromEntries(groups.map((g) => [String(deployed(g.Port)), g]));

    // Assess
    expect(Object.keys(byPort).sort()).toEqual(['3000', '8080']);
    expect(deployed(byPort['8080']?.HealthCheckPath)).toBe('/healthz');
    expect(deployed((byPort['8080']?.Matcher as CfnObject | undefined)?.HttpCode)).toBe('200-299');
    expect(byPort['3000']?.HealthCheckPath).toBe('/_dsenv/health');
  });

  it('forwards every path to the service and /_dsenv/* to the probe', () => {
    // Prepare
    const listener = propsOf(ofType('AWS::ElasticLoadBalancingV2::Listener')[0] as string);
    const [ruleId] = ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
    const rule = propsOf(ruleId as string);

    // Act
    const defaultTarget = refTarget((listener.DefaultActions as CfnObject[])[0]?.TargetGroupArn);
    const ruleTarget = refTarget((rule.Actions as CfnObject[])[0]?.TargetGroupArn);
    const pattern = ((rule.Conditions as CfnObject[])[0]?.PathPatternConfig as CfnObject | undefined)?.Values;

    // Assess
    expect(ofType('AWS::ElasticLoadBalancingV2::ListenerRule')).toHaveLength(1);
    expect(deployed(propsOf(defaultTarget as string).Port)).toBe('8080');
    expect(deployed(propsOf(ruleTarget as string).Port)).toBe(3000);
    expect(pattern).toEqual(['/_dsenv/*']);
    expect(refTarget(rule.ListenerArn)).toBe(ofType('AWS::ElasticLoadBalancingV2::Listener')[0]);
  });

  it('registers both containers with their groups, the probe’s only once its /_dsenv/* rule exists', () => {
    const entries = propsOf(ofType('AWS::ECS::Service')[0] as string).LoadBalancers as CfnObject[];
    expect(entries.map((e) => [e.ContainerName, String(deployed(e.ContainerPort))])).toEqual([
      ['probe', '3000'],
      ['service', '8080'],
    ]);
    const probeGroup = (entries[0]?.TargetGroupArn as CfnObject | undefined)?.['Fn::Select'] as CfnValue[];
    expect(probeGroup[1]).toEqual([{ Ref: 'TargetGroup' }, { Ref: 'ProbeRule' }]);
  });

  it('lets the load balancer reach the tasks on the probe’s and the service’s port only', () => {
    // Act
    const ingress = ofType('AWS::EC2::SecurityGroupIngress')
      .map(propsOf)
      .filter((r) => refTarget(r.GroupId) === 'TaskSecurityGroup');
    const egress = propsOf('LoadBalancerSecurityGroup').SecurityGroupEgress as CfnObject[];

    // Assess
    expect(ingress.map((r) => [refTarget(r.SourceSecurityGroupId), String(deployed(r.FromPort))]).sort()).toEqual([
      ['LoadBalancerSecurityGroup', '3000'],
      ['LoadBalancerSecurityGroup', '8080'],
    ]);
    for (const rule of [...ingress, ...egress]) expect(deployed(rule.FromPort)).toEqual(deployed(rule.ToPort));
    expect(egress.map((r) => String(deployed(r.FromPort))).sort()).toEqual(['3000', '8080']);
  });

  it('gives the task an execution role that may read exactly the named secret and parameter, nothing else', () => {
    // Prepare
    const role = propsOf('ServiceExecutionRole');
    const statements = (role.Policies as CfnObject[]).flatMap(
      (p) => (p.PolicyDocument as CfnObject).Statement as CfnObject[],
    );

    // Act
    const read = statements.filter((s) => s.Action !== 'kms:Decrypt');
    const resources = read.flatMap((s) => (s.Resource as CfnValue[]).map(deployed));
    const secretsOf = Object.fromEntries(
      (containerNamed('service').Secrets as CfnObject[]).map((s) => [deployed(s.Name), deployed(s.ValueFrom)]),
    );

    // Assess
    expect(propsOf('TaskDefinition').ExecutionRoleArn).toEqual({ 'Fn::GetAtt': ['ServiceExecutionRole', 'Arn'] });
    expect(read.flatMap((s) => s.Action as string[]).sort()).toEqual([
      'secretsmanager:GetSecretValue',
      'ssm:GetParameters',
    ]);
    expect(resources.sort()).toEqual([SECRET, PARAMETER].sort());
    expect(secretsOf).toEqual({ DB_PASSWORD: SECRET, API_KEY: PARAMETER });
  });

  it('may decrypt with a customer-managed key only through Secrets Manager or Parameter Store, for the named ones', () => {
    // Prepare
    const role = propsOf('ServiceExecutionRole');
    const statements = (role.Policies as CfnObject[]).flatMap(
      (p) => (p.PolicyDocument as CfnObject).Statement as CfnObject[],
    );

    // Act: each decrypt grant as (the service it goes through, the encryption context key, the names it allows)
    const decrypt = statements
      .filter((s) => s.Action === 'kms:Decrypt')
      .map((s) => {
        const condition = s.Condition as Record<string, Record<string, CfnValue>>;
        const [contextKey, allowed] = Object.entries(condition.StringEquals ?? {})[0] ?? [];
        return {
          effect: s.Effect,
          resource: deployed(s.Resource),
          via: condition.StringLike?.['kms:ViaService'],
          contextKey,
          allowed: (allowed as CfnValue[]).map(deployed).filter((v) => v !== null),
        };
      });

    // Assess: two grants, each naming every secret (an ARN of the other kind never matches its context)
    expect(decrypt).toEqual([
      {
        effect: 'Allow',
        resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:*:*:key/*' },
        via: 'secretsmanager.*.amazonaws.com',
        contextKey: 'kms:EncryptionContext:SecretARN',
        allowed: [SECRET, PARAMETER],
      },
      {
        effect: 'Allow',
        resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:*:*:key/*' },
        via: 'ssm.*.amazonaws.com',
        contextKey: 'kms:EncryptionContext:PARAMETER_ARN',
        allowed: [SECRET, PARAMETER],
      },
    ]);
  });

  it('without secrets uses the cluster’s execution role and passes no Secrets', () => {
    const { resolved: plain } = deployedWith(ServiceSpec.parse({ image: service.image, port: 9090 }));
    const task = plain.service.Resources.TaskDefinition?.Properties as CfnObject;
    const serviceContainer = (task.ContainerDefinitions as CfnObject[]).find((c) => c.Name === 'service') as CfnObject;
    expect(plain.service.Resources.ServiceExecutionRole).toBeUndefined();
    expect(refTarget(task.ExecutionRoleArn)).toBe('ExecutionRoleArn');
    expect(serviceContainer.Secrets).toBeUndefined();
    expect(serviceContainer.Command).toBeUndefined();
  });

  it('reads its secrets through the SSM and Secrets Manager endpoints the parent turns on, and is quoted with them', () => {
    // Prepare
    const sized = { ContainerCpu: service.cpu, ContainerMemory: service.memory, DesiredCount: service.desiredCount };
    const probeOnlyOfSize = inventoryFromBlueprint(writtenBlueprint, sized);

    // Act
    const deployed = inventoryFromBlueprint(writtenBlueprint, overrides as Record<string, string>);
    const quoted = sizedInventory(quotedInventory(writtenBlueprint), service);
    const { secrets: _secrets, ...withoutSecrets } = service;

    // Assess: the network has the endpoints (nothing else changes), and the API's quote is what the templates
    // deploy, with and without secrets
    expect(deployed.interfaceEndpoints.map((e) => [e.service, e.azs])).toEqual([
      ...probeOnlyOfSize.interfaceEndpoints.map((e) => [e.service, e.azs]),
      ['ssm', 2],
      ['ssmmessages', 2],
      ['secretsmanager', 2],
    ]);
    expect({ ...deployed, interfaceEndpoints: [] }).toEqual({ ...probeOnlyOfSize, interfaceEndpoints: [] });
    expect(quoted).toEqual(deployed);
    expect(sizedInventory(quotedInventory(writtenBlueprint), withoutSecrets)).toEqual(probeOnlyOfSize);
  });
});

describe('without a service: today’s probe-only environment', () => {
  it('has one container, one target group on /health, no rule, no extra role or ingress', () => {
    const resources = probeOnly.service.Resources;
    const task = resources.TaskDefinition?.Properties as CfnObject;
    const probe = (task.ContainerDefinitions as CfnObject[])[0] as CfnObject;
    expect((task.ContainerDefinitions as CfnObject[]).map((c) => c.Name)).toEqual(['probe']);
    expect(Object.keys(resources).filter((id) => /Service(TargetGroup|ExecutionRole)|ProbeRule/.test(id))).toEqual([]);
    expect((probe.Environment as CfnObject[]).map((e) => e.Name)).toEqual(['PORT', 'PROBE_IP_FAMILY']);
    const listener = resources.Listener?.Properties as CfnObject;
    expect(refTarget((listener.DefaultActions as CfnObject[])[0]?.TargetGroupArn)).toBe('TargetGroup');
    expect(
      JSON.stringify(probeOnly.service.Resources).includes('Fn::If') ||
        JSON.stringify(probeOnly.service.Resources).includes('AWS::NoValue'),
    ).toBe(false);
    expect(isObject(resources.Service?.Properties)).toBe(true);
  });
});
