/**
 * The billable inventory of an environment, read from the blueprint's templates with the parameter values given
 * (the defaults for the others): interface endpoints × the subnets (AZs) they are placed in, load balancers and
 * their public IPv4 addresses, NAT and egress-only gateways, Fargate tasks' vCPU and memory × DesiredCount.
 * Priced by functions/domain/cost.ts; the control plane passes the default inventory to the API (COST_INVENTORY).
 */
import type { Inventory } from '../functions/domain/cost.js';
import {
  type ChildPart,
  childParameterValues,
  type ParameterOverrides,
  traceList,
  traceNumber,
} from './blueprint-wiring.js';
import { activeResources, type Blueprint, type CfnValue, isObject, parameterValues } from './template-loader.js';

const endpointService = (value: CfnValue | undefined): string => {
  const name = isObject(value) ? value['Fn::Sub'] : value;
  return typeof name === 'string' ? name.replace(/^com\.amazonaws\.\$\{AWS::Region\}\./, '') : JSON.stringify(value);
};

/** Reads the billable inventory from the templates, for the given parent parameter values. */
export const inventoryFromBlueprint = (blueprint: Blueprint, parameters: ParameterOverrides = {}): Inventory => {
  const inventory: Inventory = {
    interfaceEndpoints: [],
    gatewayEndpoints: [],
    loadBalancers: [],
    natGateways: 0,
    egressOnlyGateways: 0,
    fargate: { tasks: 0, vcpuPerTask: 0, memoryGbPerTask: 0 },
  };
  const children: ChildPart[] = ['network', 'cluster', 'service'];
  for (const part of children) {
    const received = { ...parameterValues(blueprint[part]), ...childParameterValues(blueprint, part, parameters) };
    const resources = activeResources(blueprint[part], received);
    const count = (value: CfnValue | undefined) => traceList(blueprint, part, value ?? [], parameters).length;
    const number = (value: CfnValue | undefined) => traceNumber(blueprint, part, value ?? null, parameters);
    for (const [id, resource] of Object.entries(resources)) {
      const p = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::EC2::VPCEndpoint':
          if (p.VpcEndpointType === 'Interface') {
            inventory.interfaceEndpoints.push({ service: endpointService(p.ServiceName), azs: count(p.SubnetIds) });
          } else {
            inventory.gatewayEndpoints.push({ service: endpointService(p.ServiceName) });
          }
          break;
        case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
          const publicIpv4 =
            p.Scheme === 'internet-facing' && ['ipv4', 'dualstack', undefined].includes(p.IpAddressType as string);
          const azs = p.SubnetMappings === undefined ? count(p.Subnets) : count(p.SubnetMappings);
          inventory.loadBalancers.push({ name: id, publicIpv4Addresses: publicIpv4 ? azs : 0 });
          break;
        }
        case 'AWS::EC2::NatGateway':
          inventory.natGateways += 1;
          break;
        case 'AWS::EC2::EgressOnlyInternetGateway':
          inventory.egressOnlyGateways += 1;
          break;
        case 'AWS::ECS::Service': {
          const taskDefinitionId = isObject(p.TaskDefinition) ? String(p.TaskDefinition.Ref) : '';
          const taskDefinition = resources[taskDefinitionId]?.Properties ?? {};
          inventory.fargate = {
            tasks: inventory.fargate.tasks + number(p.DesiredCount ?? 1),
            vcpuPerTask: number(taskDefinition.Cpu) / 1024,
            memoryGbPerTask: number(taskDefinition.Memory) / 1024,
          };
          break;
        }
        default:
          break;
      }
    }
  }
  return inventory;
};

/** Any secret ARN: the parent turns the secrets' endpoints on when a service names one. */
const A_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/any-AbCdEf';

/**
 * The inventory the control plane quotes from (COST_INVENTORY): the default environment's, plus the interface
 * endpoints an environment whose service names secrets has on top (`secretEndpoints`).
 */
export const quotedInventory = (blueprint: Blueprint): Inventory => {
  const base = inventoryFromBlueprint(blueprint);
  const withSecrets = inventoryFromBlueprint(blueprint, { ServiceSecret1Name: 'SECRET', ServiceSecret1Arn: A_SECRET });
  const present = new Set(base.interfaceEndpoints.map((e) => e.service));
  return { ...base, secretEndpoints: withSecrets.interfaceEndpoints.filter((e) => !present.has(e.service)) };
};
