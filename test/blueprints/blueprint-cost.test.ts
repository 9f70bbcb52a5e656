import { describe, expect, it } from 'vitest';
import {
  formatCostTable,
  loadPrices,
  modelBlueprintCost,
  modelReferenceCost,
  type Prices,
} from '../../bench/blueprint-cost.js';
import { loadBlueprint, parseTemplate } from '../../blueprints/template-loader.js';

const prices = loadPrices();
const endpointLines = (model: { lines: { item: string; quantity: number }[] }) =>
  model.lines.filter((l) => l.item.startsWith('Interface endpoint'));

describe('blueprint cost model', () => {
  it('prices the default environment below $0.11 per hour and below the reference pattern', () => {
    // Act
    const blueprint = modelBlueprintCost({ prices });
    const reference = modelReferenceCost(prices);

    // Assess
    expect(blueprint.totalUsdPerHour).toBeLessThan(0.11);
    expect(blueprint.totalUsdPerHour).toBeLessThan(reference.totalUsdPerHour);
    expect(reference.totalUsdPerHour).toBeCloseTo(0.165, 3);
  });

  it('counts each interface endpoint once per AZ it is placed in: 3 endpoints × 2 AZs by default', () => {
    // Act
    const { inventory } = modelBlueprintCost({ prices });

    // Assess
    expect(inventory.interfaceEndpoints.map((e) => e.service).sort()).toEqual(['ecr.api', 'ecr.dkr', 'logs']);
    expect(inventory.interfaceEndpoints.every((e) => e.azs === 2)).toBe(true);
    expect(inventory.gatewayEndpoints).toEqual([{ service: 's3' }]);
  });

  it('adds 3 endpoints × 2 AZs × $0.01 when EnableSsmEndpoints is true, matching the reference total', () => {
    // Act
    const off = modelBlueprintCost({ prices });
    const on = modelBlueprintCost({ prices, parameters: { EnableSsmEndpoints: 'true' } });

    // Assess
    const added = endpointLines(on).filter((l) => !endpointLines(off).some((o) => o.item === l.item));
    expect(added.map((l) => l.item).sort()).toEqual([
      'Interface endpoint secretsmanager (2 AZ)',
      'Interface endpoint ssm (2 AZ)',
      'Interface endpoint ssmmessages (2 AZ)',
    ]);
    expect(on.totalUsdPerHour - off.totalUsdPerHour).toBeCloseTo(3 * 2 * prices.hourly.interfaceEndpointPerAz.usd, 10);
    expect(on.totalUsdPerHour).toBeCloseTo(modelReferenceCost(prices).totalUsdPerHour, 10);
  });

  it('bills the ALB and one public IPv4 address per AZ it spans', () => {
    // Act
    const { inventory, lines } = modelBlueprintCost({ prices });

    // Assess
    expect(inventory.loadBalancers).toEqual([{ name: 'LoadBalancer', publicIpv4Addresses: 2 }]);
    expect(lines.find((l) => l.item.startsWith('Public IPv4'))?.usdPerHour).toBeCloseTo(0.01, 10);
    expect(lines.find((l) => l.item.startsWith('Application Load Balancer'))?.usdPerHour).toBe(0.0225);
  });

  it('reads Fargate size and count from the parameters: defaults 256/512 × 1, overrides scale the cost', () => {
    // Act
    const base = modelBlueprintCost({ prices });
    const bigger = modelBlueprintCost({
      prices,
      parameters: { ContainerCpu: 512, ContainerMemory: 1024, DesiredCount: 2 },
    });

    // Assess
    expect(base.inventory.fargate).toEqual({ tasks: 1, vcpuPerTask: 0.25, memoryGbPerTask: 0.5 });
    expect(bigger.inventory.fargate).toEqual({ tasks: 2, vcpuPerTask: 0.5, memoryGbPerTask: 1 });
    const fargate = (m: typeof base) =>
      m.lines.filter((l) => l.item.startsWith('Fargate')).reduce((s, l) => s + l.usdPerHour, 0);
    expect(fargate(base)).toBeCloseTo(0.25 * 0.04048 + 0.5 * 0.004445, 10);
    expect(fargate(bigger)).toBeCloseTo(4 * fargate(base), 10);
  });

  it('follows the templates: a NAT gateway or a fourth endpoint added to the network stack shows up in the total', () => {
    // Prepare
    const blueprint = loadBlueprint();
    const network = parseTemplate(JSON.stringify(blueprint.network));
    network.Resources.Nat = { Type: 'AWS::EC2::NatGateway', Properties: {} };
    network.Resources.StsEndpoint = {
      ...(network.Resources.LogsEndpoint as NonNullable<typeof network.Resources.LogsEndpoint>),
    };
    const changed = { ...blueprint, network };

    // Act
    const before = modelBlueprintCost({ prices, blueprint });
    const after = modelBlueprintCost({ prices, blueprint: changed });

    // Assess
    expect(after.totalUsdPerHour - before.totalUsdPerHour).toBeCloseTo(0.045 + 2 * 0.01, 10);
  });

  it('uses the prices file it is given', () => {
    // Prepare
    const doubled: Prices = structuredClone(prices);
    doubled.hourly.applicationLoadBalancer.usd *= 2;

    // Act / Assess
    expect(
      modelBlueprintCost({ prices: doubled }).totalUsdPerHour - modelBlueprintCost({ prices }).totalUsdPerHour,
    ).toBeCloseTo(0.0225, 10);
  });

  it('prints every line and the total', () => {
    const model = modelBlueprintCost({ prices });
    const table = formatCostTable('title', model);
    for (const l of model.lines) expect(table).toContain(l.item);
    expect(table).toContain(`$${model.totalUsdPerHour.toFixed(5)}`);
  });
});
