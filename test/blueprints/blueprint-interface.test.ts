import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { childPartOf, nestedStackOf, traceValue } from '../../blueprints/blueprint-wiring.js';
import {
  BLUEPRINT_FILES,
  type BlueprintPart,
  type CfnObject,
  type CfnValue,
  getAttTarget,
  isObject,
  refTarget,
} from '../../blueprints/template-loader.js';
import { serviceParameters } from '../../functions/domain/service-parameters.js';
import { SERVICE_LIMITS, ServiceSpec } from '../../functions/schemas/service.js';
import {
  blueprint,
  blueprintDir,
  ofType,
  onlyOfType,
  props,
  renderSub,
  routeTableOfSubnet,
  subnets,
  target,
} from './blueprint-queries.js';

const CHILDREN = ['network', 'cluster', 'service'] as const;
const ENV_TAG = 'dsenv:environment-id';
const LONGEST_MANUAL_ID = `a${'b'.repeat(27)}`;
const GENERATED_ID = 'env-3k9x0q2m7ab1';

/** Every `Fn::GetAtt` in a value, recursively. */
const getAtts = (value: unknown): [string, string][] => {
  const own = getAttTarget(value as CfnValue);
  const inner = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  return [...(own ? [own] : []), ...inner.flatMap(getAtts)];
};

describe('parent: nesting', () => {
  it('nests network, cluster and service from TemplateBaseUrl, so the files can live under any prefix', () => {
    for (const part of CHILDREN) {
      // Act
      const stack = nestedStackOf(blueprint, part) as string;

      // Assess
      expect(stack, part).toBeDefined();
      expect(props('parent', stack).TemplateURL).toEqual({ 'Fn::Sub': `\${TemplateBaseUrl}/${BLUEPRINT_FILES[part]}` });
    }
    expect(ofType('parent', 'AWS::CloudFormation::Stack')).toHaveLength(3);
    expect(blueprint.parent.Parameters?.TemplateBaseUrl?.Type).toBe('String');
  });

  it('passes every child parameter that has no default, and no parameter a child does not declare', () => {
    for (const part of CHILDREN) {
      // Prepare
      const declared = blueprint[part].Parameters ?? {};
      const passed = props('parent', nestedStackOf(blueprint, part) as string).Parameters as CfnObject;

      // Act
      const missing = Object.entries(declared)
        .filter(([name, p]) => p.Default === undefined && passed[name] === undefined)
        .map(([name]) => name);
      const unknown = Object.keys(passed).filter((name) => declared[name] === undefined);

      // Assess
      expect(missing, part).toEqual([]);
      expect(unknown, part).toEqual([]);
      expect(passed.EnvironmentId, part).toEqual({ Ref: 'EnvironmentId' });
    }
  });

  it('reads only outputs the children really declare', () => {
    // Act
    const reads = getAtts([blueprint.parent.Resources, blueprint.parent.Outputs]);

    // Assess
    expect(reads.length).toBeGreaterThan(0);
    for (const [stack, attribute] of reads) {
      const child = childPartOf(blueprint, stack) as BlueprintPart;
      expect(attribute).toMatch(/^Outputs\./);
      expect(blueprint[child].Outputs?.[attribute.slice('Outputs.'.length)], `${stack}.${attribute}`).toBeDefined();
    }
  });

  it('reads nested outputs with the long form Fn::GetAtt [Child, Outputs.X] (the short form breaks in moto)', () => {
    const text = readFileSync(join(blueprintDir, BLUEPRINT_FILES.parent), 'utf8');
    expect(text).not.toMatch(/!GetAtt\s+\S+\.Outputs\./);
    expect(text).toMatch(/Fn::GetAtt: \[NetworkStack, Outputs\.VpcId\]/);
  });

  it('feeds the service the network’s subnets, endpoint group and VPC and the cluster’s name and execution role', () => {
    const service = props('service', onlyOfType('service', 'AWS::ECS::Service'));
    expect(target('service', service.Cluster)).toEqual({ part: 'cluster', logicalId: 'Cluster' });
    expect(target('service', { Ref: 'VpcId' })).toEqual({ part: 'network', logicalId: 'Vpc' });
    expect(target('service', { Ref: 'EndpointSecurityGroupId' })).toEqual({
      part: 'network',
      logicalId: 'EndpointSecurityGroup',
    });
    expect(subnets('service', { Ref: 'PublicSubnetIds' })).toEqual(['PublicSubnetA', 'PublicSubnetB']);
    expect(subnets('service', { Ref: 'PrivateSubnetIds' })).toEqual(['PrivateSubnetA', 'PrivateSubnetB']);
  });
});

describe('parent: interface (docs/design.md)', () => {
  it('takes the documented parameters with their defaults', () => {
    const parameters = blueprint.parent.Parameters ?? {};
    expect(
      Object.keys(parameters)
        .filter((name) => !name.startsWith('Service'))
        .sort(),
    ).toEqual(
      [
        'ContainerCpu',
        'ContainerMemory',
        'DesiredCount',
        'EnableSsmEndpoints',
        'EnvironmentId',
        'ImageUri',
        'TemplateBaseUrl',
      ].sort(),
    );
    expect(parameters.ContainerCpu?.Default).toBe(256);
    expect(parameters.ContainerMemory?.Default).toBe(512);
    expect(parameters.DesiredCount?.Default).toBe(1);
    expect(parameters.EnableSsmEndpoints?.Default).toBe('false');
    expect(parameters.ImageUri?.Default).toBeUndefined();
  });

  it('takes exactly the service parameters the control plane sends, each optional (defaults: no service)', () => {
    // Prepare: a service that fills every slot
    const full = ServiceSpec.parse({
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1',
      port: 8080,
      command: ['node', 'server.js'],
      environment: Object.fromEntries(Array.from({ length: SERVICE_LIMITS.environment }, (_, i) => [`V${i}`, 'x'])),
      secrets: Object.fromEntries(
        Array.from({ length: SERVICE_LIMITS.secrets }, (_, i) => [
          `S${i}`,
          `arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/s${i}`,
        ]),
      ),
    });
    const parameters = blueprint.parent.Parameters ?? {};

    // Act
    const sent = serviceParameters(full).map((p) => p.ParameterKey as string);

    // Assess
    const serviceNames = Object.keys(parameters).filter((name) => name.startsWith('Service'));
    expect(sent.filter((name) => name.startsWith('Service')).sort()).toEqual(serviceNames.sort());
    for (const name of sent) expect(parameters[name], name).toBeDefined();
    for (const name of serviceNames) expect(parameters[name]?.Default, name).toBeDefined();
    expect(parameters.ServiceImage?.Default).toBe('');
  });

  it('accepts generated and manual environment ids that fit the ALB name limit, in every template alike', () => {
    // Prepare
    const pattern = new RegExp(blueprint.parent.Parameters?.EnvironmentId?.AllowedPattern as string);

    // Assess
    for (const ok of [GENERATED_ID, LONGEST_MANUAL_ID, 'dev']) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ['env-UPPER000000', `${LONGEST_MANUAL_ID}c`, '9abc', 'ab', 'a_b_c']) {
      expect(pattern.test(bad), bad).toBe(false);
    }
    for (const part of CHILDREN) {
      expect(blueprint[part].Parameters?.EnvironmentId?.AllowedPattern, part).toBe(pattern.source);
    }
  });

  it('exposes the documented outputs, each traced to the resource it describes', () => {
    // Prepare
    const outputs = blueprint.parent.Outputs ?? {};
    const traced = (name: string) => traceValue(blueprint, 'parent', outputs[name]?.Value ?? null);
    const resourceOf = (name: string) => {
      const { part, value } = traced(name);
      const id = refTarget(value) ?? getAttTarget(value)?.[0];
      return `${part}:${blueprint[part].Resources[id as string]?.Type}`;
    };
    const subnetsOf = (name: string) => subnets('parent', outputs[name]?.Value);

    // Assess
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'BlueprintVersion',
        'ClusterName',
        'LoadBalancerArn',
        'PrivateSubnetIds',
        'PublicSubnetIds',
        'PublicURI',
        'ServiceName',
        'VpcId',
      ].sort(),
    );
    expect(traced('PublicURI').value).toEqual({ 'Fn::GetAtt': ['LoadBalancer', 'DNSName'] });
    expect(resourceOf('PublicURI')).toBe('service:AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(resourceOf('LoadBalancerArn')).toBe('service:AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(resourceOf('VpcId')).toBe('network:AWS::EC2::VPC');
    expect(resourceOf('ClusterName')).toBe('cluster:AWS::ECS::Cluster');
    expect(traced('ServiceName').value).toEqual({ 'Fn::GetAtt': ['Service', 'Name'] });
    expect(subnetsOf('PublicSubnetIds')).toEqual(
      subnets('service', props('service', onlyOfType('service', 'AWS::ElasticLoadBalancingV2::LoadBalancer')).Subnets),
    );
    expect(new Set(subnetsOf('PrivateSubnetIds').map(routeTableOfSubnet)).size).toBe(1);
    expect(subnetsOf('PrivateSubnetIds')).not.toEqual(subnetsOf('PublicSubnetIds'));
    const version = traced('BlueprintVersion').value as { 'Fn::FindInMap': [string, string, string] };
    const [map, key, name] = version['Fn::FindInMap'];
    expect(String(blueprint.parent.Mappings?.[map]?.[key]?.[name])).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('names and tags', () => {
  let taggable: Set<string>;

  beforeAll(async () => {
    // Which resource types accept Tags, from the CloudFormation resource schemas cfn-lint ships with.
    const types = [...new Set(Object.values(blueprint).flatMap((t) => Object.values(t.Resources).map((r) => r.Type)))];
    const script = [
      'import json, sys',
      'from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER as m',
      'types = json.loads(sys.argv[1])',
      "print(json.dumps([t for t in types if 'Tags' in m.get_resource_schema('us-east-1', t).schema.get('properties', {})]))",
    ].join('\n');
    const { stdout } = await promisify(execFile)('python3', ['-c', script, JSON.stringify(types)]);
    taggable = new Set(JSON.parse(stdout) as string[]);
  });

  it('tags every taggable resource with dsenv:environment-id, so teardown verification can find leftovers', () => {
    // Prepare
    const untagged: string[] = [];

    // Act
    for (const [part, template] of Object.entries(blueprint)) {
      for (const [id, r] of Object.entries(template.Resources)) {
        if (!taggable.has(r.Type)) continue;
        const tags = (r.Properties?.Tags ?? []) as CfnObject[];
        const tag = tags.find((t) => t.Key === ENV_TAG);
        if (refTarget(tag?.Value) !== 'EnvironmentId') untagged.push(`${part}/${id} (${r.Type})`);
      }
    }

    // Assess
    expect(taggable.size).toBeGreaterThan(10);
    expect(taggable.has('AWS::EC2::SecurityGroupIngress')).toBe(false);
    expect(untagged).toEqual([]);
  });

  it('keeps ALB and target-group names within AWS’s 32 characters for every accepted environment id', () => {
    for (const id of [GENERATED_ID, LONGEST_MANUAL_ID]) {
      for (const type of ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::TargetGroup']) {
        const name = renderSub(props('service', onlyOfType('service', type)).Name, { EnvironmentId: id });
        expect(name.length, name).toBeLessThanOrEqual(32);
        expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$/);
      }
    }
  });

  it('derives the cluster, service, task family, log group, ALB and target-group names from EnvironmentId', () => {
    const named: [string, string, string][] = [
      ['cluster', 'AWS::ECS::Cluster', 'ClusterName'],
      ['service', 'AWS::ECS::Service', 'ServiceName'],
      ['service', 'AWS::ECS::TaskDefinition', 'Family'],
      ['service', 'AWS::Logs::LogGroup', 'LogGroupName'],
      ['service', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'Name'],
      ['service', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'Name'],
    ];
    for (const [part, type, property] of named) {
      const value = props(part as BlueprintPart, onlyOfType(part as BlueprintPart, type))[property];
      const rendered =
        refTarget(value) === 'EnvironmentId' ? GENERATED_ID : renderSub(value, { EnvironmentId: GENERATED_ID });
      expect(rendered, `${type}.${property}`).toContain(GENERATED_ID);
    }
  });
});
