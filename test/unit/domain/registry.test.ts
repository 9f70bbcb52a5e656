import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../functions/domain/registry.js';
import { recordTimelines } from '../../../functions/domain/timeline.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import { BadRequestError, ConflictError } from '../../../functions/shared/errors.js';
import { type RunningEmulator, startEmulator } from '../../../local/emulator-process.js';
import { registryTableDefinition } from '../../helpers/registry-table.js';

const OWNER_A = 'arn:aws:iam::123456789012:user/alice';
const OWNER_B = 'arn:aws:iam::123456789012:user/bob';

/** A change-stream record (NEW_AND_OLD_IMAGES) of a stored write. */
function change(before: Environment | undefined, after: Environment) {
  const image = (env: Environment) => marshall(env, { removeUndefinedValues: true });
  return {
    eventName: before === undefined ? 'INSERT' : 'MODIFY',
    dynamodb: { ...(before === undefined ? {} : { OldImage: image(before) }), NewImage: image(after) },
  };
}

function environment(overrides: Partial<Environment> & { id: string }): Environment {
  return {
    name: 'demo',
    owner: OWNER_A,
    status: 'CREATING',
    source: 'api',
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:00.000Z',
    expiresAt: '2026-01-01T14:00:00.000Z',
    stackName: `dsenv-${overrides.id}`,
    imageUri: 'public.ecr.aws/nginx/nginx:latest',
    blueprint: { name: 'dual-stack-fargate', version: '1.0.0' },
    outputs: {},
    version: 0,
    ...overrides,
  };
}

describe('Registry against the emulator (DynamoDB)', () => {
  let emulator: RunningEmulator;
  let documentClient: DynamoDBDocumentClient;
  let tableName: string;
  let tableCounter = 0;
  const now = new Date('2026-01-01T11:00:00.000Z');
  const clock = { now: () => now };

  beforeAll(async () => {
    emulator = await startEmulator({ extended: false });
    const client = new DynamoDBClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  beforeEach(async () => {
    tableCounter += 1;
    tableName = `environments-${tableCounter}`;
    await documentClient.send(new CreateTableCommand(registryTableDefinition(tableName)));
  });

  const registry = () => new Registry({ documentClient, tableName, clock });

  it('stores an environment and reads it back unchanged', async () => {
    const env = environment({ id: 'env-aaaaaaaaaaa1' });

    await registry().put(env);
    const stored = await registry().get(env.id);

    expect(stored).toEqual(env);
    expect(await registry().get('env-doesnotexist')).toBeUndefined();
  });

  it('refuses to overwrite an existing id', async () => {
    const env = environment({ id: 'env-aaaaaaaaaaa1' });
    await registry().put(env);

    await expect(registry().put({ ...env, name: 'other' })).rejects.toBeInstanceOf(ConflictError);
    expect((await registry().get(env.id))?.name).toBe('demo');
  });

  it('lists only the owner’s environments, newest first, across pages with an opaque token', async () => {
    for (let i = 1; i <= 5; i += 1) {
      await registry().put(environment({ id: `env-aaaaaaaaaaa${i}`, createdAt: `2026-01-01T10:0${i}:00.000Z` }));
    }
    await registry().put(environment({ id: 'env-bbbbbbbbbbb1', owner: OWNER_B }));

    const first = await registry().listByOwner(OWNER_A, { limit: 2 });
    const second = await registry().listByOwner(OWNER_A, { limit: 2, nextToken: first.nextToken });
    const third = await registry().listByOwner(OWNER_A, { limit: 2, nextToken: second.nextToken });

    const ids = [...first.items, ...second.items, ...third.items].map((e) => e.id);
    expect(ids).toEqual([
      'env-aaaaaaaaaaa5',
      'env-aaaaaaaaaaa4',
      'env-aaaaaaaaaaa3',
      'env-aaaaaaaaaaa2',
      'env-aaaaaaaaaaa1',
    ]);
    expect(first.nextToken).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(third.nextToken).toBeUndefined();
    expect((await registry().listByOwner(OWNER_B)).items.map((e) => e.id)).toEqual(['env-bbbbbbbbbbb1']);
  });

  it('rejects a forged or foreign nextToken as a bad request', async () => {
    await registry().put(environment({ id: 'env-aaaaaaaaaaa1' }));
    await registry().put(environment({ id: 'env-aaaaaaaaaaa2', createdAt: '2026-01-01T10:05:00.000Z' }));
    const { nextToken } = await registry().listByOwner(OWNER_A, { limit: 1 });
    expect(nextToken).toBeDefined();

    await expect(registry().listByOwner(OWNER_B, { nextToken })).rejects.toBeInstanceOf(BadRequestError);
    await expect(registry().listByOwner(OWNER_A, { nextToken: 'not!base64' })).rejects.toBeInstanceOf(BadRequestError);
    const forged = Buffer.from(JSON.stringify({ id: 1 })).toString('base64url');
    await expect(registry().listByOwner(OWNER_A, { nextToken: forged })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('lists by status with an expiry cut-off and counts active environments', async () => {
    await registry().put(
      environment({ id: 'env-aaaaaaaaaaa1', status: 'READY', expiresAt: '2026-01-01T10:30:00.000Z' }),
    );
    await registry().put(
      environment({ id: 'env-aaaaaaaaaaa2', status: 'READY', expiresAt: '2026-01-01T12:30:00.000Z' }),
    );
    await registry().put(environment({ id: 'env-aaaaaaaaaaa3', status: 'DELETED' }));
    await registry().put(environment({ id: 'env-aaaaaaaaaaa4', status: 'DELETING' }));
    await registry().put(environment({ id: 'env-bbbbbbbbbbb1', owner: OWNER_B, status: 'CREATING' }));
    await registry().put(environment({ id: 'env-bbbbbbbbbbb2', owner: OWNER_B, status: 'FAILED' }));

    const expired = await registry().listByStatus('READY', { expiresBefore: now.toISOString() });
    const ready = await registry().listByStatus('READY');

    expect(expired.map((e) => e.id)).toEqual(['env-aaaaaaaaaaa1']);
    expect(ready.map((e) => e.id).sort()).toEqual(['env-aaaaaaaaaaa1', 'env-aaaaaaaaaaa2']);
    expect(await registry().countActiveByOwner(OWNER_A)).toBe(3);
    expect(await registry().countActiveByOwner(OWNER_B)).toBe(1);
    expect(await registry().countActive()).toBe(4);
  });

  it('applies an update conditionally, bumping version and updatedAt and removing cleared fields', async () => {
    const env = environment({ id: 'env-aaaaaaaaaaa1', failureReason: 'old' });
    await registry().put(env);

    const updated = await registry().update(env, { status: 'VALIDATING', failureReason: undefined }, ['CREATING']);

    expect(updated).toMatchObject({ status: 'VALIDATING', version: 1, updatedAt: now.toISOString() });
    expect(updated.failureReason).toBeUndefined();
    expect(await registry().get(env.id)).toEqual(updated);
  });

  it('rejects an update from a stale version with ConflictError and leaves the record alone', async () => {
    const env = environment({ id: 'env-aaaaaaaaaaa1' });
    await registry().put(env);
    await registry().update(env, { status: 'VALIDATING' }, ['CREATING']);

    await expect(registry().update(env, { status: 'DELETING' }, ['CREATING', 'VALIDATING'])).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await registry().get(env.id)).toMatchObject({ status: 'VALIDATING', version: 1 });
  });

  it('rejects an update from a status that is not allowed with ConflictError', async () => {
    const env = environment({ id: 'env-aaaaaaaaaaa1', status: 'DELETED' });
    await registry().put(env);

    await expect(
      registry().update(env, { status: 'DELETING' }, ['CREATING', 'VALIDATING', 'READY']),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await registry().get(env.id)).toMatchObject({ status: 'DELETED', version: 0 });
  });

  it('removes a record only at the version the caller holds', async () => {
    const env = environment({ id: 'env-aaaaaaaaaaa1' });
    await registry().put(env);
    const updated = await registry().update(env, { executionArn: 'arn:x' }, ['CREATING']);

    await expect(registry().remove(env)).rejects.toBeInstanceOf(ConflictError);
    await registry().remove(updated);

    expect(await registry().get(env.id)).toBeUndefined();
  });

  it('writes the timeline of each change the stream hands it, once however often it comes, oldest first, paginated', async () => {
    // Prepare: four stored writes, as the change stream reports them
    const env = environment({ id: 'env-aaaaaaaaaaa1' });
    await registry().put(env);
    const validating = await registry().update(env, { status: 'VALIDATING' }, ['CREATING']);
    const checkedAt = '2026-01-01T11:00:00.000Z';
    const checks = [
      { name: 'dns-a' as const, status: 'passed' as const, detail: '192.0.2.1' },
      { name: 'http-ipv6' as const, status: 'failed' as const, detail: 'timeout' },
    ];
    const failed = await registry().update(
      validating,
      { status: 'FAILED', failureReason: 'http-ipv6: timeout', validation: { passed: false, checkedAt, checks } },
      ['VALIDATING'],
    );
    const withOutputs = await registry().update(failed, { outputs: { publicUri: 'http://x' } }, ['FAILED']);
    const records = [
      change(undefined, env),
      change(env, validating),
      change(validating, failed),
      // A timeline entry's own stream record adds nothing.
      {
        eventName: 'INSERT',
        dynamodb: { NewImage: marshall({ id: `${env.id}#k`, environmentId: env.id, type: 'x' }) },
      },
      change(failed, withOutputs),
    ];

    // Act: the batch comes twice (delivery is at least once)
    const written = await recordTimelines(registry(), records);
    await recordTimelines(registry(), records);
    const first = await registry().listEvents(env.id, { limit: 3 });
    const rest = await registry().listEvents(env.id, { nextToken: first.nextToken as string });

    // Assess
    expect(written).toBe(6);
    expect(
      [...first.items, ...rest.items].map((e) => `${e.type}:${'to' in e ? e.to : 'name' in e ? e.name : ''}`),
    ).toEqual(['status:CREATING', 'expiry:', 'status:VALIDATING', 'status:FAILED', 'check:dns-a', 'check:http-ipv6']);
    expect(rest.items[0]).toEqual({
      at: now.toISOString(),
      type: 'status',
      from: 'VALIDATING',
      to: 'FAILED',
      reason: 'http-ipv6: timeout',
    });
    expect(rest.nextToken).toBeUndefined();
    expect((await registry().listByOwner(OWNER_A)).items.map((e) => e.id)).toEqual([env.id]);
    expect(await registry().countActive()).toBe(0);
    await expect(
      registry().listEvents('env-bbbbbbbbbbb2', { nextToken: first.nextToken as string }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it("drops a removed record's timeline when the stream reports the removal", async () => {
    const other = environment({ id: 'env-bbbbbbbbbbb2' });
    await registry().put(other);
    await recordTimelines(registry(), [change(undefined, other)]);
    const before = (await registry().listEvents(other.id)).items.length;

    await registry().remove(other);
    await recordTimelines(registry(), [{ eventName: 'REMOVE', dynamodb: { OldImage: marshall(other) } }]);

    expect(before).toBe(2);
    expect((await registry().listEvents(other.id)).items).toEqual([]);
  });
});
