/**
 * Modelled cost of one environment-hour, computed from the blueprint's templates and bench/prices.json:
 * interface endpoints × the subnets (AZs) they are placed in, load balancers and their public IPv4 addresses
 * (one per AZ), NAT gateways, and the Fargate tasks' vCPU and memory × DesiredCount — all read from the templates
 * with the parameter defaults (or the overrides given). Compared with the reference pattern.
 *
 * Run: `npm run cost` (options: `--param Name=Value`, e.g. `--param EnableSsmEndpoints=true`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  type ChildPart,
  childParameterValues,
  type ParameterOverrides,
  traceList,
  traceNumber,
} from '../blueprints/blueprint-wiring.js';
import {
  activeResources,
  type Blueprint,
  type CfnValue,
  isObject,
  loadBlueprint,
  parameterValues,
} from '../blueprints/template-loader.js';

const PriceItem = z.object({ usd: z.number().nonnegative(), unit: z.string(), source: z.string() });
export const Prices = z.object({
  region: z.string(),
  currency: z.literal('USD'),
  hourly: z.object({
    interfaceEndpointPerAz: PriceItem,
    gatewayEndpoint: PriceItem,
    applicationLoadBalancer: PriceItem,
    publicIpv4Address: PriceItem,
    fargateVcpu: PriceItem,
    fargateMemoryGb: PriceItem,
    natGateway: PriceItem,
    egressOnlyInternetGateway: PriceItem,
  }),
  usage: z.record(z.string(), PriceItem),
});
export type Prices = z.infer<typeof Prices>;

export const PRICES_PATH = join(dirname(fileURLToPath(import.meta.url)), 'prices.json');
export const loadPrices = (path: string = PRICES_PATH): Prices => Prices.parse(JSON.parse(readFileSync(path, 'utf8')));

/** What an environment runs that is billed by the hour. */
export interface Inventory {
  /** One entry per interface endpoint: its service and the number of AZs (subnets) it has an ENI in. */
  interfaceEndpoints: { service: string; azs: number }[];
  gatewayEndpoints: { service: string }[];
  /** One entry per load balancer; public IPv4 addresses = one per AZ unless it has none. */
  loadBalancers: { name: string; publicIpv4Addresses: number }[];
  natGateways: number;
  egressOnlyGateways: number;
  fargate: { tasks: number; vcpuPerTask: number; memoryGbPerTask: number };
}

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitUsd: number;
  usdPerHour: number;
}

export interface CostModel {
  lines: CostLine[];
  totalUsdPerHour: number;
}

export interface BlueprintCostOptions {
  /** Parent parameter values (the defaults apply to the others). */
  parameters?: ParameterOverrides;
  /** @default the repository's blueprint */
  blueprint?: Blueprint;
  /** @default bench/prices.json */
  prices?: Prices;
}

/**
 * The reference pattern (aws-samples container-patterns, dual-stack-ipv6-networking-ecs-fargate) as documented:
 * six interface endpoints (logs, ssm, ssmmessages, ecr.api, ecr.dkr, secretsmanager) in two subnets, an S3
 * gateway endpoint, one internet-facing dual-stack ALB in two AZs, one 256 CPU / 512 MiB task, no NAT.
 */
export const REFERENCE_INVENTORY: Inventory = {
  interfaceEndpoints: ['logs', 'ssm', 'ssmmessages', 'ecr.api', 'ecr.dkr', 'secretsmanager'].map((service) => ({
    service,
    azs: 2,
  })),
  gatewayEndpoints: [{ service: 's3' }],
  loadBalancers: [{ name: 'PublicLoadBalancer', publicIpv4Addresses: 2 }],
  natGateways: 0,
  egressOnlyGateways: 1,
  fargate: { tasks: 1, vcpuPerTask: 0.25, memoryGbPerTask: 0.5 },
};

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

const line = (item: string, quantity: number, price: { usd: number; unit: string }): CostLine => ({
  item,
  quantity,
  unit: price.unit,
  unitUsd: price.usd,
  usdPerHour: quantity * price.usd,
});

/** Prices an inventory: one line per billable item, and the total per environment-hour. */
export const priceInventory = (inventory: Inventory, prices: Prices): CostModel => {
  const { hourly } = prices;
  const lines: CostLine[] = [
    ...inventory.interfaceEndpoints.map((e) =>
      line(`Interface endpoint ${e.service} (${e.azs} AZ)`, e.azs, hourly.interfaceEndpointPerAz),
    ),
    ...inventory.gatewayEndpoints.map((e) => line(`Gateway endpoint ${e.service}`, 1, hourly.gatewayEndpoint)),
    ...inventory.loadBalancers.flatMap((lb) => [
      line(`Application Load Balancer ${lb.name}`, 1, hourly.applicationLoadBalancer),
      line(`Public IPv4 addresses of ${lb.name} (one per AZ)`, lb.publicIpv4Addresses, hourly.publicIpv4Address),
    ]),
    line('NAT gateways', inventory.natGateways, hourly.natGateway),
    line('Egress-only internet gateways', inventory.egressOnlyGateways, hourly.egressOnlyInternetGateway),
    line(
      `Fargate vCPU (${inventory.fargate.tasks} task × ${inventory.fargate.vcpuPerTask} vCPU)`,
      inventory.fargate.tasks * inventory.fargate.vcpuPerTask,
      hourly.fargateVcpu,
    ),
    line(
      `Fargate memory (${inventory.fargate.tasks} task × ${inventory.fargate.memoryGbPerTask} GB)`,
      inventory.fargate.tasks * inventory.fargate.memoryGbPerTask,
      hourly.fargateMemoryGb,
    ),
  ];
  const totalUsdPerHour = lines.reduce((sum, l) => sum + l.usdPerHour, 0);
  return { lines, totalUsdPerHour };
};

/** The blueprint's modelled cost per environment-hour, read from its templates. */
export const modelBlueprintCost = (options: BlueprintCostOptions = {}): CostModel & { inventory: Inventory } => {
  const inventory = inventoryFromBlueprint(options.blueprint ?? loadBlueprint(), options.parameters ?? {});
  return { ...priceInventory(inventory, options.prices ?? loadPrices()), inventory };
};

/** The reference pattern's modelled cost per environment-hour, with the same prices. */
export const modelReferenceCost = (prices: Prices = loadPrices()): CostModel =>
  priceInventory(REFERENCE_INVENTORY, prices);

// ---------------------------------------------------------------------------------------------------- CLI

const usd = (value: number, digits = 4): string => `$${value.toFixed(digits)}`;

export const formatCostTable = (title: string, model: CostModel): string => {
  const rows = model.lines.map((l) => [
    l.item,
    `${Number(l.quantity.toFixed(4))} ${l.unit}`,
    usd(l.unitUsd, 6),
    usd(l.usdPerHour, 5),
  ]);
  const header = ['item', 'quantity', 'unit price', 'per hour'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    title,
    format(header),
    rule,
    ...rows.map(format),
    rule,
    format(['total per environment-hour', '', '', usd(model.totalUsdPerHour, 5)]),
  ].join('\n');
};

const main = (): void => {
  const { values } = parseArgs({ options: { param: { type: 'string', multiple: true } } });
  const parameters: ParameterOverrides = Object.fromEntries(
    (values.param ?? []).map((pair) => {
      const [name, ...rest] = pair.split('=');
      return [name as string, rest.join('=')];
    }),
  );
  const prices = loadPrices();
  const blueprint = modelBlueprintCost({ parameters, prices });
  const reference = modelReferenceCost(prices);
  const shown = Object.keys(parameters).length === 0 ? 'parameter defaults' : JSON.stringify(parameters);
  const saving = reference.totalUsdPerHour - blueprint.totalUsdPerHour;
  console.log(formatCostTable(`dual-stack-fargate blueprint, ${prices.region}, ${shown}`, blueprint));
  console.log();
  console.log(formatCostTable('reference pattern (as documented)', reference));
  console.log();
  console.log(
    `blueprint ${usd(blueprint.totalUsdPerHour)}/h vs reference ${usd(reference.totalUsdPerHour)}/h: ` +
      `${saving >= 0 ? 'saves' : 'costs'} ${usd(Math.abs(saving))}/h ` +
      `(${((Math.abs(saving) / reference.totalUsdPerHour) * 100).toFixed(0)}%); ` +
      `a default 4-hour environment ≈ ${usd(blueprint.totalUsdPerHour * 4, 2)}, a month ≈ ${usd(blueprint.totalUsdPerHour * 730, 2)}.`,
  );
  console.log('Not modelled (usage-based): LCUs, endpoint data processed, log ingestion, data transfer out.');
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
