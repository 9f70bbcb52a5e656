import './support/api-environment.js';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateScheduleGroupCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as createHandler } from '../../../functions/api/create-environment.js';
import { handler as deleteHandler } from '../../../functions/api/delete-environment.js';
import { handler as getHandler } from '../../../functions/api/get-environment.js';
import { handler as listHandler } from '../../../functions/api/list-environments.js';
import { handler as updateHandler } from '../../../functions/api/update-environment.js';
import { isEnvironmentItem } from '../../../functions/domain/registry.js';
import { type RunningEmulator, startEmulator } from '../../../local/emulator-process.js';
import { registryTableDefinition } from '../../helpers/registry-table.js';
import { ALICE, API_ENVIRONMENT, apiEvent, BOB, lambdaContext, parseResult } from './support/events.js';

// DynamoDB (registry + Powertools idempotency records), Scheduler and EC2 are the emulator's;
// Step Functions is mocked (its executions are the workflow's business, not the API's).
const sfn = mockClient(SFNClient);
let emulator: RunningEmulator;
let dynamo: DynamoDBClient;
let executions = 0;

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function createTables(): Promise<void> {
  await dynamo.send(new CreateTableCommand(registryTableDefinition(API_ENVIRONMENT.TABLE_NAME ?? '')));
  await dynamo.send(
    new CreateTableCommand({
      TableName: API_ENVIRONMENT.IDEMPOTENCY_TABLE_NAME,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
}

async function registryItems() {
  const { Items } = await dynamo.send(new ScanCommand({ TableName: API_ENVIRONMENT.TABLE_NAME }));
  // Environment records only (their timelines share the table).
  return (Items ?? []).filter((item) => isEnvironmentItem({ id: item.id?.S }));
}

const post = (body: unknown, principal = ALICE, key?: string) =>
  createHandler(
    apiEvent({
      method: 'POST',
      resource: '/environments',
      body,
      principal,
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) },
    }),
    lambdaContext,
  ).then(parseResult);

beforeAll(async () => {
  emulator = await startEmulator({ extended: false });
  process.env.AWS_ENDPOINT_URL = emulator.endpoint;
  // Limits are not under test here (they are in handlers.test.ts); many environments are created below.
  process.env.MAX_ACTIVE_PER_OWNER = '50';
  process.env.REGION_CAPACITY = '50';
  dynamo = new DynamoDBClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials });
  await createTables();
  await new SchedulerClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials }).send(
    new CreateScheduleGroupCommand({ Name: API_ENVIRONMENT.SCHEDULE_GROUP }),
  );
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL;
  await emulator?.stop();
});

function startExecution(input: { name?: string }) {
  executions += 1;
  return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:dsenv-lifecycle:${input.name}` };
}

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).callsFake(startExecution);
});

describe('Idempotency-Key on POST /environments (Powertools idempotency, DynamoDB persistence)', () => {
  it('returns the same environment for the same key and body, starting one execution', async () => {
    const before = executions;

    const first = await post({ name: 'same-twice', ttlMinutes: 60 }, ALICE, 'key-same-body-0001');
    const second = await post({ name: 'same-twice', ttlMinutes: 60 }, ALICE, 'key-same-body-0001');

    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.Location).toBe(`/environments/${first.body.id}`);
    expect(executions - before).toBe(1);
    expect((await registryItems()).filter((i) => i.name?.S === 'same-twice')).toHaveLength(1);
  });

  it('answers 422 IdempotencyKeyReused for the same key with a different body', async () => {
    const first = await post({ name: 'reused-key' }, ALICE, 'key-reused-0001');
    const before = executions;

    const second = await post({ name: 'reused-key', ttlMinutes: 45 }, ALICE, 'key-reused-0001');

    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(422);
    expect(second.body.error.code).toBe('IdempotencyKeyReused');
    expect(executions).toBe(before);
  });

  it('scopes keys to the caller: the same key from another principal creates another environment', async () => {
    const alice = await post({ name: 'scoped' }, ALICE, 'key-shared-0001');
    const bob = await post({ name: 'scoped' }, BOB, 'key-shared-0001');

    expect(bob.statusCode).toBe(202);
    expect(bob.body.id).not.toBe(alice.body.id);
    expect(bob.body.owner).toBe(BOB);
  });

  it('lets a failed creation be retried with the same key, leaving no record or schedule behind', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'StateMachineDoesNotExist' }))
      .callsFake(startExecution);

    const failed = await post({ name: 'retry-me' }, BOB, 'key-retry-0001');
    const namesAfterFailure = (await registryItems()).filter((i) => i.name?.S === 'retry-me');
    const retried = await post({ name: 'retry-me' }, BOB, 'key-retry-0001');

    expect(failed.statusCode).toBe(500);
    expect(namesAfterFailure).toHaveLength(0);
    expect(retried.statusCode).toBe(202);
    const schedules = await new SchedulerClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials }).send(
      new ListSchedulesCommand({ GroupName: API_ENVIRONMENT.SCHEDULE_GROUP }),
    );
    const names = (schedules.Schedules ?? []).map((s) => s.Name);
    expect(names).toContain(`dsenv-${retried.body.id}-expiry`);
    expect(names.filter((n) => !(n ?? '').startsWith('dsenv-env-'))).toEqual([]);
  });
});

describe('isolation between principals', () => {
  it('gives B no way to see, change or delete A’s environment', async () => {
    const created = await post({ name: 'alices' }, ALICE);
    const id = created.body.id as string;
    const asBob = { principal: BOB, id };

    const get = await getHandler(
      apiEvent({ method: 'GET', resource: '/environments/{id}', ...asBob }),
      lambdaContext,
    ).then(parseResult);
    const missing = await getHandler(
      apiEvent({ method: 'GET', resource: '/environments/{id}', principal: BOB, id: 'env-000000000000' }),
      lambdaContext,
    ).then(parseResult);
    const del = await deleteHandler(
      apiEvent({ method: 'DELETE', resource: '/environments/{id}', ...asBob }),
      lambdaContext,
    ).then(parseResult);
    const patch = await updateHandler(
      apiEvent({ method: 'PATCH', resource: '/environments/{id}', ...asBob, body: { ttlMinutes: 600 } }),
      lambdaContext,
    ).then(parseResult);
    const bobsList = await listHandler(
      apiEvent({ method: 'GET', resource: '/environments', principal: BOB }),
      lambdaContext,
    ).then(parseResult);
    const alicesView = await getHandler(
      apiEvent({ method: 'GET', resource: '/environments/{id}', principal: ALICE, id }),
      lambdaContext,
    ).then(parseResult);

    expect([get.statusCode, del.statusCode, patch.statusCode]).toEqual([404, 404, 404]);
    expect(get.body.error.message).toBe(missing.body.error.message.replace('env-000000000000', id));
    expect(bobsList.statusCode).toBe(200);
    expect(bobsList.body.items.map((e: { id: string }) => e.id)).not.toContain(id);
    expect(alicesView.statusCode).toBe(200);
    expect(alicesView.body).toMatchObject({ status: 'CREATING', expiresAt: created.body.expiresAt });
  });

  it('pages A’s list with tokens that B cannot use', async () => {
    const page = await listHandler(
      apiEvent({ method: 'GET', resource: '/environments', principal: ALICE, query: { limit: '1' } }),
      lambdaContext,
    ).then(parseResult);
    expect(page.body.nextToken).toEqual(expect.any(String));

    const stolen = await listHandler(
      apiEvent({ method: 'GET', resource: '/environments', principal: BOB, query: { nextToken: page.body.nextToken } }),
      lambdaContext,
    ).then(parseResult);
    const next = await listHandler(
      apiEvent({
        method: 'GET',
        resource: '/environments',
        principal: ALICE,
        query: { nextToken: page.body.nextToken },
      }),
      lambdaContext,
    ).then(parseResult);

    expect(stolen.statusCode).toBe(400);
    expect(next.statusCode).toBe(200);
    expect(next.body.items.every((e: { owner: string }) => e.owner === ALICE)).toBe(true);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
  });
});
