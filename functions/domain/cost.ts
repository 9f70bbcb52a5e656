/**
 * The one cost model of an environment: what it runs that is billed by the hour (its inventory, read from the
 * blueprint's templates by blueprints/blueprint-inventory.ts) priced with the one price file, ./prices.json.
 * The API quotes it on every environment (`cost`), the bench prints it (bench/blueprint-cost.ts).
 */
import * as z from 'zod/mini';
import type { CostLine, EnvironmentCost } from '../schemas/environment.js';
import pricesJson from './prices.json' with { type: 'json' };

const PriceItem = z.object({ usd: z.number().check(z.nonnegative()), unit: z.string(), source: z.string() });
export const Prices = z.object({
  region: z.string(),
  currency: z.literal('USD'),
  /** The day the list prices were read from their sources (YYYY-MM-DD). */
  priceDate: z.iso.date(),
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

/** The prices every estimate uses (bundled into the functions with this module). */
export const PRICES: Prices = Prices.parse(pricesJson);

const InterfaceEndpoint = z.object({ service: z.string(), azs: z.number().check(z.int(), z.nonnegative()) });

/** What an environment runs that is billed by the hour. */
export const Inventory = z.object({
  /** One entry per interface endpoint: its service and the number of AZs (subnets) it has an ENI in. */
  interfaceEndpoints: z.array(InterfaceEndpoint),
  /**
   * The interface endpoints an environment whose service names secrets has on top (the blueprint turns the Secrets
   * Manager and SSM endpoints on for it); `sizedInventory` adds them. Absent: none.
   */
  secretEndpoints: z.optional(z.array(InterfaceEndpoint)),
  gatewayEndpoints: z.array(z.object({ service: z.string() })),
  /** One entry per load balancer; public IPv4 addresses = one per AZ unless it has none. */
  loadBalancers: z.array(
    z.object({ name: z.string(), publicIpv4Addresses: z.number().check(z.int(), z.nonnegative()) }),
  ),
  natGateways: z.number().check(z.int(), z.nonnegative()),
  egressOnlyGateways: z.number().check(z.int(), z.nonnegative()),
  fargate: z.object({
    tasks: z.number().check(z.nonnegative()),
    vcpuPerTask: z.number().check(z.nonnegative()),
    memoryGbPerTask: z.number().check(z.nonnegative()),
  }),
});
export type Inventory = z.infer<typeof Inventory>;

export interface CostModel {
  lines: CostLine[];
  totalUsdPerHour: number;
}

const line = (item: string, quantity: number, price: { usd: number; unit: string }): CostLine => ({
  item,
  quantity,
  unit: price.unit,
  unitUsd: price.usd,
  usdPerHour: quantity * price.usd,
});

/** Prices an inventory: one line per billable item, and the total per environment-hour. */
export function priceInventory(inventory: Inventory, prices: Prices = PRICES): CostModel {
  const { hourly } = prices;
  const { fargate } = inventory;
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
      `Fargate vCPU (${fargate.tasks} task × ${fargate.vcpuPerTask} vCPU)`,
      fargate.tasks * fargate.vcpuPerTask,
      hourly.fargateVcpu,
    ),
    line(
      `Fargate memory (${fargate.tasks} task × ${fargate.memoryGbPerTask} GB)`,
      fargate.tasks * fargate.memoryGbPerTask,
      hourly.fargateMemoryGb,
    ),
  ];
  return { lines, totalUsdPerHour: lines.reduce((sum, l) => sum + l.usdPerHour, 0) };
}

/** The service's size where a request sets it (CPU units and MiB as in a task definition); the rest as deployed. */
export interface ServiceSize {
  cpu?: number;
  memory?: number;
  desiredCount?: number;
  /** Named secrets bring the endpoints they are read through (`Inventory.secretEndpoints`). */
  secrets?: Readonly<Record<string, string>>;
}

/** The inventory of an environment whose service has `size` (the blueprint's defaults where not given). */
export function sizedInventory(base: Inventory, size: ServiceSize = {}): Inventory {
  const { secretEndpoints = [], ...inventory } = base;
  const withSecrets = Object.keys(size.secrets ?? {}).length > 0;
  return {
    ...inventory,
    interfaceEndpoints: withSecrets ? [...base.interfaceEndpoints, ...secretEndpoints] : base.interfaceEndpoints,
    fargate: {
      tasks: size.desiredCount ?? base.fargate.tasks,
      vcpuPerTask: size.cpu === undefined ? base.fargate.vcpuPerTask : size.cpu / 1024,
      memoryGbPerTask: size.memory === undefined ? base.fargate.memoryGbPerTask : size.memory / 1024,
    },
  };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Rounded to a millionth of a dollar per hour and a cent-hundredth for the total, so estimates compare exactly. */
export function estimateCost(model: CostModel, hours: number, prices: Prices = PRICES): EnvironmentCost {
  return {
    currency: 'USD',
    hourlyUsd: round(model.totalUsdPerHour, 6),
    totalUsd: round(model.totalUsdPerHour * hours, 4),
    hours: round(hours, 4),
    region: prices.region,
    priceDate: prices.priceDate,
    breakdown: model.lines.map((l) => ({ ...l, usdPerHour: round(l.usdPerHour, 6) })),
  };
}

/** The hours between two timestamps (an environment's lifetime). */
export function lifetimeHours(createdAt: string, expiresAt: string): number {
  return Math.max(0, Date.parse(expiresAt) - Date.parse(createdAt)) / 3_600_000;
}

/** The estimate of an environment with `inventory` living from `createdAt` to `expiresAt`. */
export function environmentCost(inventory: Inventory, createdAt: string, expiresAt: string): EnvironmentCost {
  return estimateCost(priceInventory(inventory), lifetimeHours(createdAt, expiresAt));
}

/** The same environment's estimate for a new lifetime (after an extension): same lines, new total. */
export function relifeCost(cost: EnvironmentCost, createdAt: string, expiresAt: string): EnvironmentCost {
  const hours = lifetimeHours(createdAt, expiresAt);
  return { ...cost, totalUsd: round(cost.hourlyUsd * hours, 4), hours: round(hours, 4) };
}
