/**
 * Modelled cost of one environment-hour: the blueprint's inventory read from its templates
 * (blueprints/blueprint-inventory.ts) priced by the one cost model the API quotes (functions/domain/cost.ts, prices
 * in functions/domain/prices.json), with the parameter defaults (or the overrides given). Compared with the
 * reference pattern.
 *
 * Run: `npm run cost` (options: `--param Name=Value`, e.g. `--param EnableSsmEndpoints=true`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { inventoryFromBlueprint } from '../blueprints/blueprint-inventory.js';
import type { ParameterOverrides } from '../blueprints/blueprint-wiring.js';
import { type Blueprint, loadBlueprint } from '../blueprints/template-loader.js';
import { type CostModel, type Inventory, Prices, priceInventory } from '../functions/domain/cost.js';

export type { CostModel, Inventory } from '../functions/domain/cost.js';
export { Prices } from '../functions/domain/cost.js';
export type { CostLine } from '../functions/schemas/environment.js';

export const PRICES_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'functions', 'domain', 'prices.json');
export const loadPrices = (path: string = PRICES_PATH): Prices => Prices.parse(JSON.parse(readFileSync(path, 'utf8')));

export interface BlueprintCostOptions {
  /** Parent parameter values (the defaults apply to the others). */
  parameters?: ParameterOverrides;
  /** @default the repository's blueprint */
  blueprint?: Blueprint;
  /** @default functions/domain/prices.json */
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

export { inventoryFromBlueprint } from '../blueprints/blueprint-inventory.js';
