import './support/api-environment.js';
import { DescribeEgressOnlyInternetGatewaysCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPrices, modelBlueprintCost } from '../../../bench/blueprint-cost.js';
import { inventoryFromBlueprint } from '../../../blueprints/blueprint-inventory.js';
import { loadBlueprint } from '../../../blueprints/template-loader.js';
import { handler as createHandler } from '../../../functions/api/create-environment.js';
import { environmentCost, sizedInventory } from '../../../functions/domain/cost.js';
import { createEnvironment, extendEnvironment } from '../../../functions/domain/environments.js';
import { atExpression } from '../../../functions/domain/expiry-timer.js';
import { serviceParameters } from '../../../functions/domain/service-parameters.js';
import { ServiceSpec } from '../../../functions/schemas/service.js';
import { CostLimitExceededError } from '../../../functions/shared/errors.js';
import { errorToResult } from '../../../functions/shared/http.js';
import { apiEvent, lambdaContext, parseResult } from './support/events.js';
import { fakeDeps } from './support/fakes.js';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
const ec2 = mockClient(EC2Client);
const NOW = new Date('2026-03-01T12:00:00.000Z');

const create = (body: unknown) =>
  createHandler(apiEvent({ method: 'POST', resource: '/environments', body }), lambdaContext).then(parseResult);

beforeEach(() => {
  for (const client of [ddb, sfn, scheduler, ec2]) client.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  ddb.on(QueryCommand).resolves({ Count: 0, Items: [] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-default', IsDefault: true }] });
  ec2.on(DescribeEgressOnlyInternetGatewaysCommand).resolves({ EgressOnlyInternetGateways: [] });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).callsFake(() => ({ Attributes: { ...ddb.commandCalls(PutCommand)[0]?.args[0].input.Item } }));
  scheduler.on(CreateScheduleCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:y' });
});
afterEach(() => vi.useRealTimers());

describe('cost estimate', () => {
  it("quotes on POST's 202 what the bench's model gives for the same request, and stores it", async () => {
    // Act
    const result = await create({ name: 'demo', ttlMinutes: 120 });

    // Assess
    const bench = modelBlueprintCost({ prices: loadPrices() });
    expect(result.statusCode).toBe(202);
    const cost = result.body.cost as Record<string, unknown>;
    expect(cost.hourlyUsd).toBeCloseTo(bench.totalUsdPerHour, 6);
    expect(cost.totalUsd).toBeCloseTo(bench.totalUsdPerHour * 2, 4);
    expect(cost).toMatchObject({ currency: 'USD', hours: 2, region: 'us-east-1', priceDate: loadPrices().priceDate });
    expect((cost.breakdown as { item: string }[]).map((l) => l.item)).toEqual(bench.lines.map((l) => l.item));
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.cost).toEqual(cost);
  });

  it('scales the Fargate lines with the service size, as the bench does with the same parameters', () => {
    // Act
    const base = inventoryFromBlueprint(loadBlueprint());
    const sized = environmentCost(
      sizedInventory(base, { cpu: 1024, memory: 2048, desiredCount: 2 }),
      NOW.toISOString(),
      new Date(NOW.getTime() + 3_600_000).toISOString(),
    );

    // Assess
    const bench = modelBlueprintCost({ parameters: { ContainerCpu: 1024, ContainerMemory: 2048, DesiredCount: 2 } });
    expect(sized.hourlyUsd).toBeCloseTo(bench.totalUsdPerHour, 6);
  });

  it('quotes a service that names secrets with the endpoints it reads them through, as the bench models that request', async () => {
    // Prepare
    const service = {
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1',
      port: 8080,
      secrets: { DB_PASSWORD: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/db-AbCdEf' },
    };
    const parameters = Object.fromEntries(
      serviceParameters(ServiceSpec.parse(service)).map((p) => [p.ParameterKey, p.ParameterValue]),
    );

    // Act
    const result = await create({ name: 'demo', ttlMinutes: 60, service });

    // Assess
    expect(result.statusCode, JSON.stringify(result.body)).toBe(202);
    const cost = result.body.cost as { hourlyUsd: number; breakdown: { item: string }[] };
    const bench = modelBlueprintCost({ parameters });
    expect(cost.hourlyUsd).toBeCloseTo(bench.totalUsdPerHour, 6);
    expect(cost.breakdown.map((l) => l.item)).toEqual(bench.lines.map((l) => l.item));
    expect(cost.breakdown.map((l) => l.item)).toEqual(
      expect.arrayContaining(['Interface endpoint secretsmanager (2 AZ)', 'Interface endpoint ssm (2 AZ)']),
    );
    const { ServiceSecret1Name: _name, ServiceSecret1Arn: _arn, ...withoutSecrets } = parameters;
    const plain = modelBlueprintCost({ parameters: withoutSecrets });
    expect(cost.hourlyUsd - plain.totalUsdPerHour).toBeCloseTo(3 * 2 * 0.01, 5);
  });

  it('refuses a request over maxEstimatedCostUsd with 422 CostLimitExceeded and starts nothing', async () => {
    // Prepare
    const { deps, registry, scheduler: schedules, sfn: executions } = fakeDeps(NOW);
    deps.config = { ...deps.config, maxEstimatedCostUsd: 0.05 };

    // Act
    const refused = createEnvironment(deps, { owner: 'alice', body: { name: 'demo', ttlMinutes: 600 } });

    // Assess
    await expect(refused).rejects.toThrow(CostLimitExceededError);
    await expect(refused).rejects.toThrow(/exceeds the limit of \$0\.05/);
    expect(errorToResult(await refused.catch((e: unknown) => e)).statusCode).toBe(422);
    expect(registry.items.size).toBe(0);
    expect(schedules.schedules.size).toBe(0);
    expect(executions.started).toHaveLength(0);
  });

  it('updates the total on extend, and refuses an extension that would exceed the limit', async () => {
    // Prepare: created 12:00 for 2 h
    const { deps, clock, registry, scheduler: schedules } = fakeDeps(NOW);
    const created = await createEnvironment(deps, { owner: 'alice', body: { name: 'demo', ttlMinutes: 120 } });
    clock.advanceMinutes(60);

    // Act: from 13:00 for 10 h → 11 h of life; then an extension over the limit
    const extended = await extendEnvironment(deps, 'alice', created.id, 600);
    deps.config = { ...deps.config, maxEstimatedCostUsd: 1 };
    const refused = extendEnvironment(deps, 'alice', created.id, 10_000);

    // Assess
    expect(extended.cost?.hours).toBe(11);
    expect(extended.cost?.totalUsd).toBeCloseTo((created.cost?.hourlyUsd ?? 0) * 11, 4);
    expect(registry.items.get(created.id)?.cost).toEqual(extended.cost);
    await expect(refused).rejects.toThrow(CostLimitExceededError);
    expect(registry.items.get(created.id)?.expiresAt).toBe(extended.expiresAt);
    expect(schedules.schedules.get(`dsenv/dsenv-${created.id}-expiry`)?.ScheduleExpression).toBe(
      atExpression(extended.expiresAt),
    );
  });
});
