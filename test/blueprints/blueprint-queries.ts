/**
 * Questions the contract tests ask of the blueprint: which subnets a resource sits in, where their routes go,
 * what a security group admits. Answers follow the wiring across nested stacks (blueprints/blueprint-wiring.ts),
 * so a test checks what would be deployed, not one template in isolation.
 */
import {
  type Located,
  referencedResource,
  resolveBlueprint,
  traceList,
  traceNumber,
  traceValue,
} from '../../blueprints/blueprint-wiring.js';
import {
  BLUEPRINT_DIR,
  type Blueprint,
  type BlueprintPart,
  type CfnObject,
  type CfnResource,
  type CfnValue,
  dependsOn,
  isObject,
  loadBlueprint,
  refTarget,
} from '../../blueprints/template-loader.js';

/** The templates under test: the repository's, or a copy named by BLUEPRINT_DIR_UNDER_TEST (to try a modified one). */
export const blueprintDir: string = process.env.BLUEPRINT_DIR_UNDER_TEST || BLUEPRINT_DIR;
/** The templates as written (conditions and `Fn::If` unresolved). */
export const writtenBlueprint: Blueprint = loadBlueprint(blueprintDir);
/** The templates as deployed without a service (the defaults): the probe-only environment the contract describes. */
export const blueprint: Blueprint = resolveBlueprint(writtenBlueprint);

export interface ResourceAddress {
  part: BlueprintPart;
  logicalId: string;
}

export const resource = (part: BlueprintPart, logicalId: string): CfnResource => {
  const found = blueprint[part].Resources[logicalId];
  if (found === undefined) throw new Error(`${part} has no resource ${logicalId}`);
  return found;
};

export const props = (part: BlueprintPart, logicalId: string): CfnObject => resource(part, logicalId).Properties ?? {};

export const ofType = (part: BlueprintPart, type: string): string[] =>
  Object.entries(blueprint[part].Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);

export const onlyOfType = (part: BlueprintPart, type: string): string => {
  const ids = ofType(part, type);
  if (ids.length !== 1) throw new Error(`${part} has ${ids.length} resources of type ${type}, expected one`);
  return ids[0] as string;
};

/** Resolves the value to the resource it references (across stacks), or throws. */
export const target = (part: BlueprintPart, value: CfnValue | undefined): ResourceAddress => {
  if (value === undefined) throw new Error(`missing value in ${part}`);
  const found = referencedResource(traceValue(blueprint, part, value));
  if (found === undefined) throw new Error(`${JSON.stringify(value)} in ${part} references no resource`);
  return found;
};

export const sameResource = (a: ResourceAddress | undefined, b: ResourceAddress | undefined): boolean =>
  a !== undefined && b !== undefined && a.part === b.part && a.logicalId === b.logicalId;

export const number = (part: BlueprintPart, value: CfnValue | undefined): number =>
  traceNumber(blueprint, part, value ?? null);

/** Literal strings (FindInMap resolved) or undefined. */
export const literal = (part: BlueprintPart, value: CfnValue | undefined): string | undefined => {
  const traced = traceValue(blueprint, part, value ?? null).value;
  if (typeof traced === 'string' || typeof traced === 'number' || typeof traced === 'boolean') return String(traced);
  const args = isObject(traced) ? traced['Fn::FindInMap'] : undefined;
  if (Array.isArray(args) && args.every((a) => typeof a === 'string')) {
    const [map, key, name] = args as [string, string, string];
    const found = blueprint[part].Mappings?.[map]?.[key]?.[name];
    return found === undefined ? undefined : String(found);
  }
  return undefined;
};

/** The network subnets a list-valued property resolves to. */
export const subnets = (part: BlueprintPart, value: CfnValue | undefined): string[] =>
  traceList(blueprint, part, value ?? null).map((item: Located) => {
    const found = referencedResource(item);
    if (found?.part !== 'network' || resource('network', found.logicalId).Type !== 'AWS::EC2::Subnet') {
      throw new Error(`${JSON.stringify(item)} is not a subnet of the network stack`);
    }
    return found.logicalId;
  });

export const routeTableOfSubnet = (subnet: string): string => {
  const associations = ofType('network', 'AWS::EC2::SubnetRouteTableAssociation').filter(
    (id) => refTarget(props('network', id).SubnetId) === subnet,
  );
  if (associations.length !== 1) throw new Error(`subnet ${subnet} has ${associations.length} route tables`);
  const table = refTarget(props('network', associations[0] as string).RouteTableId);
  if (table === undefined) throw new Error(`association of ${subnet} names no route table`);
  return table;
};

export interface Route {
  logicalId: string;
  destination: string;
  /** The property naming the target (GatewayId, EgressOnlyInternetGatewayId, NatGatewayId, …). */
  via: string;
  /** The target's resource type. */
  targetType: string;
  targetId: string;
  dependsOn: string[];
}

const ROUTE_TARGETS = [
  'GatewayId',
  'EgressOnlyInternetGatewayId',
  'NatGatewayId',
  'InstanceId',
  'NetworkInterfaceId',
  'TransitGatewayId',
  'VpcPeeringConnectionId',
  'VpcEndpointId',
  'CarrierGatewayId',
  'LocalGatewayId',
  'CoreNetworkArn',
];

export const routesOf = (routeTable: string): Route[] =>
  ofType('network', 'AWS::EC2::Route')
    .filter((id) => refTarget(props('network', id).RouteTableId) === routeTable)
    .map((id) => {
      const p = props('network', id);
      const via = ROUTE_TARGETS.find((key) => p[key] !== undefined) ?? 'none';
      const targetId = refTarget(p[via]) ?? 'unknown';
      return {
        logicalId: id,
        destination: String(p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock ?? p.DestinationPrefixListId),
        via,
        targetType: blueprint.network.Resources[targetId]?.Type ?? 'unknown',
        targetId,
        dependsOn: dependsOn(resource('network', id)),
      };
    });

export interface SgRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIp?: string;
  cidrIpv6?: string;
  /** The peer security group (source for ingress, destination for egress). */
  peer?: ResourceAddress;
  prefixList?: string;
  /** Declared where: inline in the group, or a standalone rule resource. */
  declaredIn: string;
}

const portOf = (part: BlueprintPart, value: CfnValue | undefined): number | undefined =>
  value === undefined ? undefined : number(part, value);

const toRule = (part: BlueprintPart, rule: CfnObject, peerKey: string, declaredIn: string): SgRule => {
  const peer = rule[peerKey];
  const fromPort = portOf(part, rule.FromPort);
  const toPort = portOf(part, rule.ToPort);
  return {
    protocol: String(rule.IpProtocol),
    ...(fromPort === undefined ? {} : { fromPort }),
    ...(toPort === undefined ? {} : { toPort }),
    ...(typeof rule.CidrIp === 'string' ? { cidrIp: rule.CidrIp } : {}),
    ...(typeof rule.CidrIpv6 === 'string' ? { cidrIpv6: rule.CidrIpv6 } : {}),
    ...(peer === undefined ? {} : { peer: target(part, peer) }),
    ...(rule.DestinationPrefixListId === undefined && rule.SourcePrefixListId === undefined
      ? {}
      : { prefixList: JSON.stringify(rule.DestinationPrefixListId ?? rule.SourcePrefixListId) }),
    declaredIn,
  };
};

/** A rule that matches no packet (the usual placeholder that removes EC2's default allow-all egress). */
const matchesNothing = (rule: SgRule): boolean => rule.protocol === 'icmp' && rule.cidrIp === '255.255.255.255/32';

const rulesOf = (group: ResourceAddress, direction: 'ingress' | 'egress'): SgRule[] => {
  const inlineKey = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
  const peerKey = direction === 'ingress' ? 'SourceSecurityGroupId' : 'DestinationSecurityGroupId';
  const standaloneType = direction === 'ingress' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress';
  const inline = props(group.part, group.logicalId)[inlineKey];
  const rules: SgRule[] = Array.isArray(inline)
    ? inline.filter(isObject).map((rule) => toRule(group.part, rule, peerKey, group.logicalId))
    : [];
  for (const part of Object.keys(blueprint) as BlueprintPart[]) {
    for (const id of ofType(part, standaloneType)) {
      const p = props(part, id);
      if (sameResource(target(part, p.GroupId), group)) rules.push(toRule(part, p, peerKey, id));
    }
  }
  // EC2 gives a group without declared egress an allow-all rule for each family.
  if (direction === 'egress' && !Array.isArray(inline)) {
    rules.push(
      { protocol: '-1', cidrIp: '0.0.0.0/0', declaredIn: 'EC2 default' },
      { protocol: '-1', cidrIpv6: '::/0', declaredIn: 'EC2 default' },
    );
  }
  return rules.filter((rule) => !matchesNothing(rule));
};

export const ingressOf = (group: ResourceAddress): SgRule[] => rulesOf(group, 'ingress');
export const egressOf = (group: ResourceAddress): SgRule[] => rulesOf(group, 'egress');

/** A short, comparable description of a rule: `tcp/80 from 0.0.0.0/0`, `tcp/443 to sg:network/EndpointSecurityGroup`. */
export const describeRule = (rule: SgRule, direction: 'from' | 'to'): string => {
  const ports =
    rule.fromPort === undefined
      ? ''
      : rule.fromPort === rule.toPort
        ? `/${rule.fromPort}`
        : `/${rule.fromPort}-${rule.toPort}`;
  const peer =
    rule.cidrIp ??
    rule.cidrIpv6 ??
    (rule.peer ? `sg:${rule.peer.part}/${rule.peer.logicalId}` : `prefix-list:${rule.prefixList}`);
  return `${rule.protocol}${ports} ${direction} ${peer}`;
};

/** Every string in a value, recursively (to scan templates for literals such as ARNs). */
export const allStrings = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (isObject(value)) return Object.entries(value).flatMap(([key, inner]) => [key, ...allStrings(inner)]);
  return [];
};

/** Renders a `Fn::Sub` string for the given variables (for names whose length AWS limits). */
export const renderSub = (value: CfnValue | undefined, variables: Record<string, string>): string => {
  const sub = isObject(value) ? value['Fn::Sub'] : undefined;
  if (typeof sub !== 'string') throw new Error(`${JSON.stringify(value)} is not a plain Fn::Sub`);
  return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const replacement = variables[name];
    if (replacement === undefined) throw new Error(`no value for \${${name}}`);
    return replacement;
  });
};
