import './support/api-environment.js';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeEgressOnlyInternetGatewaysCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as createHandler } from '../../../functions/api/create-environment.js';
import { handler as deleteHandler } from '../../../functions/api/delete-environment.js';
import { handler as getHandler } from '../../../functions/api/get-environment.js';
import { handler as listHandler } from '../../../functions/api/list-environments.js';
import { handler as updateHandler } from '../../../functions/api/update-environment.js';
import { storedEnvironment } from './support/environments.js';
import { ALICE, apiEvent, lambdaContext, parseResult } from './support/events.js';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
const ec2 = mockClient(EC2Client);

const NOW = new Date('2026-03-01T12:00:00.000Z');
const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:dsenv-lifecycle:x';

function conditionFailed() {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function awsError(name: string, fault: 'client' | 'server' = 'client') {
  return Object.assign(new Error(name), { name, $fault: fault, $metadata: {} });
}

/** Room for one more environment: nothing active, only the default VPC. */
function capacityAvailable(): void {
  ddb.on(QueryCommand).resolves({ Count: 0, Items: [] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-default', IsDefault: true }] });
  ec2.on(DescribeEgressOnlyInternetGatewaysCommand).resolves({ EgressOnlyInternetGateways: [] });
}

const create = (body: unknown, headers?: Record<string, string>) =>
  createHandler(apiEvent({ method: 'POST', resource: '/environments', body, headers }), lambdaContext).then(
    parseResult,
  );

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  scheduler.reset();
  ec2.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('POST /environments', () => {
  beforeEach(() => {
    capacityAvailable();
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).callsFake((input) => ({
      Attributes: {
        ...(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {}),
        executionArn: input.ExpressionAttributeValues[':f0'],
        version: 1,
      },
    }));
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
  });

  it('writes the record, creates the expiry schedule, starts provisioning and answers 202 with Location', async () => {
    const result = await create({ name: 'demo', ttlMinutes: 60 });

    expect(result.statusCode).toBe(202);
    const id = result.body.id as string;
    expect(id).toMatch(/^env-[a-z0-9]{12}$/);
    expect(result.headers.Location).toBe(`/environments/${id}`);
    expect(result.body).toMatchObject({
      name: 'demo',
      owner: ALICE,
      status: 'CREATING',
      source: 'api',
      stackName: `dsenv-${id}`,
      createdAt: NOW.toISOString(),
      expiresAt: '2026-03-01T13:00:00.000Z',
      imageUri: 'public.ecr.aws/nginx/nginx:stable',
      blueprint: { name: 'dual-stack-fargate', version: '1.0.0' },
      outputs: {},
    });
    expect(result.body).not.toHaveProperty('version');
    expect(result.body).not.toHaveProperty('executionArn');
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'environments',
      ConditionExpression: 'attribute_not_exists(id)',
    });
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: `dsenv-${id}-expiry`,
      GroupName: 'dsenv',
      ScheduleExpression: 'at(2026-03-01T13:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:dsenv-lifecycle',
        RoleArn: 'arn:aws:iam::123456789012:role/dsenv-scheduler',
        Input: JSON.stringify({ action: 'teardown', environmentId: id, reason: 'expired' }),
      },
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: `${id}-provision-${NOW.getTime()}`,
      input: JSON.stringify({ action: 'provision', environmentId: id }),
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { Key: { id } });
  });

  it('uses the default TTL and image when they are not given', async () => {
    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(202);
    expect(result.body.expiresAt).toBe('2026-03-01T16:00:00.000Z');
    expect(result.body.imageUri).toBe('public.ecr.aws/nginx/nginx:stable');
  });

  it('answers 429 QuotaExceeded and writes nothing when the caller already has the maximum active environments', async () => {
    ddb.on(QueryCommand, { IndexName: 'byOwner' }).resolves({ Count: 3 });

    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(429);
    expect(result.body.error.code).toBe('QuotaExceeded');
    expect(result.body.error.message).toMatch(/limit per principal is 3.*Delete one/);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(scheduler).not.toHaveReceivedCommand(CreateScheduleCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 429 QuotaExceeded when other VPCs leave no room in the region', async () => {
    ddb
      .on(QueryCommand, { IndexName: 'byStatus', ExpressionAttributeValues: { ':status': 'READY' } })
      .resolves({ Count: 2 });
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        { VpcId: 'vpc-default' },
        { VpcId: 'vpc-other' },
        { VpcId: 'vpc-env', Tags: [{ Key: 'dsenv:environment-id', Value: 'env-aaaaaaaaaaa1' }] },
        { VpcId: 'vpc-other-2' },
      ],
    });

    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(429);
    expect(result.body.error.message).toMatch(
      /2 active environment\(s\) and 3 other VPC\(s\) already use the 5 allowed/,
    );
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('removes the record when the expiry schedule cannot be created', async () => {
    scheduler.on(CreateScheduleCommand).rejects(awsError('ValidationException'));
    ddb.on(DeleteCommand).resolves({});

    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(500);
    expect(result.body).toEqual({ error: { code: 'InternalError', message: 'An internal error occurred.' } });
    const id = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.id;
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id } });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('removes the schedule and the record when the provision execution cannot be started', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist'));
    ddb.on(DeleteCommand).resolves({});
    scheduler.on(DeleteScheduleCommand).resolves({});

    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(500);
    const id = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.id;
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, {
      Name: `dsenv-${id}-expiry`,
      GroupName: 'dsenv',
    });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id } });
  });

  it('answers 429 Throttled (and undoes the record) when Step Functions throttles', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException'));
    ddb.on(DeleteCommand).resolves({});
    scheduler.on(DeleteScheduleCommand).resolves({});

    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(429);
    expect(result.body.error.code).toBe('Throttled');
    expect(ddb).toHaveReceivedCommand(DeleteCommand);
  });

  it('answers 503 without internal detail when DynamoDB fails on its side', async () => {
    ddb.on(PutCommand).rejects(awsError('InternalServerError', 'server'));

    const result = await create({ name: 'demo' });

    expect(result.statusCode).toBe(503);
    expect(result.body).toEqual({
      error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable; retry later.' },
    });
    expect(JSON.stringify(result.body)).not.toMatch(/Dynamo|InternalServerError|at /);
  });
});

describe('GET /environments/{id}', () => {
  const get = (id: string, principal?: string) =>
    getHandler(apiEvent({ method: 'GET', resource: '/environments/{id}', id, principal }), lambdaContext).then(
      parseResult,
    );

  it('returns the caller’s environment without internal fields', async () => {
    const stored = storedEnvironment();
    ddb.on(GetCommand, { Key: { id: stored.id } }).resolves({ Item: stored });

    const result = await get(stored.id);

    expect(result.statusCode).toBe(200);
    const { version: _v, executionArn: _e, ...view } = stored;
    expect(result.body).toEqual(view);
  });

  it('answers 404 for an id that does not exist', async () => {
    ddb.on(GetCommand).resolves({});

    const result = await get('env-zzzzzzzzzzz9');

    expect(result.statusCode).toBe(404);
    expect(result.body.error).toEqual({ code: 'NotFound', message: 'environment env-zzzzzzzzzzz9 not found' });
  });

  it('answers 429 Throttled when DynamoDB throttles the read', async () => {
    ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    const result = await get('env-zzzzzzzzzzz9');

    expect(result.statusCode).toBe(429);
    expect(result.body.error.code).toBe('Throttled');
  });
});

describe('GET /environments', () => {
  it('lists the caller’s environments newest first with a next token', async () => {
    const lastKey = { id: 'env-aaaaaaaaaaa2', owner: ALICE, createdAt: '2026-03-01T10:00:00.000Z' };
    ddb.on(QueryCommand).resolves({
      Items: [storedEnvironment({ id: 'env-aaaaaaaaaaa3' }), storedEnvironment({ id: 'env-aaaaaaaaaaa2' })],
      LastEvaluatedKey: lastKey,
    });

    const result = await listHandler(
      apiEvent({ method: 'GET', resource: '/environments', query: { limit: '2' } }),
      lambdaContext,
    ).then(parseResult);

    expect(result.statusCode).toBe(200);
    expect(result.body.items.map((e: { id: string }) => e.id)).toEqual(['env-aaaaaaaaaaa3', 'env-aaaaaaaaaaa2']);
    expect(result.body.items[0]).not.toHaveProperty('version');
    expect(JSON.parse(Buffer.from(result.body.nextToken, 'base64url').toString())).toEqual(lastKey);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byOwner',
      ExpressionAttributeValues: { ':owner': ALICE },
      ScanIndexForward: false,
      Limit: 2,
    });
  });

  it('continues from the key inside a next token', async () => {
    const key = { id: 'env-aaaaaaaaaaa2', owner: ALICE, createdAt: '2026-03-01T10:00:00.000Z' };
    ddb.on(QueryCommand).resolves({ Items: [] });
    const nextToken = Buffer.from(JSON.stringify(key)).toString('base64url');

    const result = await listHandler(
      apiEvent({ method: 'GET', resource: '/environments', query: { nextToken } }),
      lambdaContext,
    ).then(parseResult);

    expect(result.statusCode).toBe(200);
    expect(result.body).toEqual({ items: [] });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { ExclusiveStartKey: key });
  });
});

describe('DELETE /environments/{id}', () => {
  const remove = (id: string) =>
    deleteHandler(apiEvent({ method: 'DELETE', resource: '/environments/{id}', id }), lambdaContext).then(parseResult);

  it('moves a READY environment to DELETING, starts the teardown and deletes the schedule', async () => {
    const stored = storedEnvironment({ status: 'READY' });
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { ...stored, status: 'DELETING', version: 5 } })
      .resolves({ Attributes: { ...stored, status: 'DELETING', version: 6, executionArn: EXECUTION_ARN } });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN });
    scheduler.on(DeleteScheduleCommand).rejects(awsError('ResourceNotFoundException'));

    const result = await remove(stored.id);

    expect(result.statusCode).toBe(202);
    expect(result.body.status).toBe('DELETING');
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 1, {
      ConditionExpression: '#version = :expectedVersion AND #status IN (:from0, :from1, :from2)',
      ExpressionAttributeValues: expect.objectContaining({
        ':expectedVersion': 4,
        ':f0': 'DELETING',
        ':from0': 'CREATING',
        ':from1': 'VALIDATING',
        ':from2': 'READY',
      }),
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: `${stored.id}-teardown-${NOW.getTime()}`,
      input: JSON.stringify({ action: 'teardown', environmentId: stored.id, reason: 'deleted' }),
    });
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { Name: `dsenv-${stored.id}-expiry` });
  });

  it.each(['DELETING', 'DELETED', 'FAILED'] as const)(
    'answers 202 and changes nothing for a %s environment',
    async (status) => {
      const stored = storedEnvironment({ status });
      ddb.on(GetCommand).resolves({ Item: stored });

      const result = await remove(stored.id);

      expect(result.statusCode).toBe(202);
      expect(result.body.status).toBe(status);
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    },
  );

  it('retries the transition once when the workflow wrote the record in between', async () => {
    const stored = storedEnvironment({ status: 'CREATING', version: 1 });
    const moved = storedEnvironment({ status: 'VALIDATING', version: 2 });
    ddb.on(GetCommand).resolvesOnce({ Item: stored }).resolves({ Item: moved });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed())
      .resolvesOnce({ Attributes: { ...moved, status: 'DELETING', version: 3 } })
      .resolves({ Attributes: { ...moved, status: 'DELETING', version: 4, executionArn: EXECUTION_ARN } });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN });
    scheduler.on(DeleteScheduleCommand).resolves({});

    const result = await remove(stored.id);

    expect(result.statusCode).toBe(202);
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      ExpressionAttributeValues: expect.objectContaining({ ':expectedVersion': 2 }),
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });
});

describe('PATCH /environments/{id}', () => {
  const patch = (id: string, body: unknown) =>
    updateHandler(apiEvent({ method: 'PATCH', resource: '/environments/{id}', id, body }), lambdaContext).then(
      parseResult,
    );

  it('sets expiresAt to now + ttlMinutes and moves the schedule', async () => {
    const stored = storedEnvironment();
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb.on(UpdateCommand).callsFake((input) => ({
      Attributes: { ...stored, expiresAt: input.ExpressionAttributeValues[':f0'], version: 5 },
    }));
    scheduler.on(UpdateScheduleCommand).resolves({});

    const result = await patch(stored.id, { ttlMinutes: 120 });

    expect(result.statusCode).toBe(200);
    expect(result.body.expiresAt).toBe('2026-03-01T14:00:00.000Z');
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `dsenv-${stored.id}-expiry`,
      ScheduleExpression: 'at(2026-03-01T14:00:00)',
    });
  });

  it('caps the new expiry at createdAt + MAX_LIFETIME_MINUTES', async () => {
    const stored = storedEnvironment({ createdAt: '2026-02-24T00:00:00.000Z' });
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb.on(UpdateCommand).callsFake((input) => ({
      Attributes: { ...stored, expiresAt: input.ExpressionAttributeValues[':f0'], version: 5 },
    }));
    scheduler.on(UpdateScheduleCommand).resolves({});

    const result = await patch(stored.id, { ttlMinutes: 10080 });

    expect(result.statusCode).toBe(200);
    expect(result.body.expiresAt).toBe('2026-03-03T00:00:00.000Z');
  });

  it.each(['DELETING', 'DELETED', 'FAILED'] as const)(
    'answers 409 Conflict once the environment is %s',
    async (status) => {
      ddb.on(GetCommand).resolves({ Item: storedEnvironment({ status }) });

      const result = await patch('env-aaaaaaaaaaa1', { ttlMinutes: 60 });

      expect(result.statusCode).toBe(409);
      expect(result.body.error.code).toBe('Conflict');
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
      expect(scheduler).not.toHaveReceivedCommand(UpdateScheduleCommand);
    },
  );

  it('answers 409 Conflict when the conditional write keeps losing', async () => {
    ddb.on(GetCommand).resolves({ Item: storedEnvironment() });
    ddb.on(UpdateCommand).rejects(conditionFailed());

    const result = await patch('env-aaaaaaaaaaa1', { ttlMinutes: 60 });

    expect(result.statusCode).toBe(409);
    expect(scheduler).not.toHaveReceivedCommand(UpdateScheduleCommand);
  });

  it('restores the previous expiry when the schedule cannot be moved', async () => {
    const stored = storedEnvironment();
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb.on(UpdateCommand).callsFake((input) => ({
      Attributes: { ...stored, expiresAt: input.ExpressionAttributeValues[':f0'], version: stored.version + 1 },
    }));
    scheduler.on(UpdateScheduleCommand).rejects(awsError('InternalServerException', 'server'));

    const result = await patch(stored.id, { ttlMinutes: 60 });

    expect(result.statusCode).toBe(503);
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      ExpressionAttributeValues: expect.objectContaining({ ':f0': stored.expiresAt, ':expectedVersion': 5 }),
    });
  });
});
