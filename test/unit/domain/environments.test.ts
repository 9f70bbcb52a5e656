import { describe, expect, it } from 'vitest';
import {
  createEnvironment,
  deleteEnvironment,
  extendEnvironment,
  getEnvironment,
  listEnvironments,
} from '../../../functions/domain/environments.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import {
  ConflictError,
  InputValidationError,
  NotFoundError,
  QuotaExceededError,
  ThrottledError,
} from '../../../functions/shared/errors.js';
import { storedEnvironment } from '../api/support/environments.js';
import { ALICE, BOB } from '../api/support/events.js';
import { awsError, fakeDeps } from '../api/support/fakes.js';

const SCHEDULE = (id: string) => `dsenv/dsenv-${id}-expiry`;

describe('createEnvironment', () => {
  it('stores a CREATING record, arms the expiry timer and starts provisioning', async () => {
    const { deps, registry, scheduler, sfn } = fakeDeps();

    const view = await createEnvironment(deps, { owner: ALICE, body: { name: 'demo', ttlMinutes: 90 } });

    const stored = registry.items.get(view.id);
    expect(stored).toMatchObject({
      status: 'CREATING',
      owner: ALICE,
      expiresAt: '2026-03-01T13:30:00.000Z',
      stackName: `dsenv-${view.id}`,
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:dsenv-lifecycle:${view.id}-provision-1772366400000`,
    });
    expect(scheduler.schedules.get(SCHEDULE(view.id))?.ScheduleExpression).toBe('at(2026-03-01T13:30:00)');
    expect(sfn.started).toEqual([
      expect.objectContaining({ input: JSON.stringify({ action: 'provision', environmentId: view.id }) }),
    ]);
    expect(view).not.toHaveProperty('version');
    expect(view).not.toHaveProperty('executionArn');
  });

  it('gives every environment a fresh id of the documented shape', async () => {
    const { deps } = fakeDeps();
    deps.config = { ...deps.config, maxActivePerOwner: 50, regionCapacity: 50 };

    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1) ids.add((await createEnvironment(deps, { owner: ALICE, body: { name: 'x' } })).id);

    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^env-[a-z0-9]{12}$/);
  });

  it('refuses a TTL outside the configured bounds before touching anything', async () => {
    const { deps, registry, sfn } = fakeDeps();

    await expect(createEnvironment(deps, { owner: ALICE, body: { name: 'demo', ttlMinutes: 10 } })).rejects.toThrow(
      InputValidationError,
    );
    deps.config = { ...deps.config, minTtlMinutes: 1 };
    await expect(
      createEnvironment(deps, { owner: ALICE, body: { name: 'demo', ttlMinutes: 10 } }),
    ).resolves.toBeDefined();
    expect(registry.items.size).toBe(1);
    expect(sfn.started).toHaveLength(1);
  });

  it('refuses a fourth active environment for the same owner but not for another owner', async () => {
    const { deps, registry, scheduler } = fakeDeps();
    for (let i = 0; i < 3; i += 1) await createEnvironment(deps, { owner: ALICE, body: { name: `e${i}` } });

    await expect(createEnvironment(deps, { owner: ALICE, body: { name: 'e4' } })).rejects.toThrow(QuotaExceededError);
    await expect(createEnvironment(deps, { owner: BOB, body: { name: 'e4' } })).resolves.toBeDefined();
    expect(registry.items.size).toBe(4);
    expect([...scheduler.schedules.keys()].filter((k) => k.endsWith('-expiry'))).toHaveLength(4);
  });

  it('counts only active environments toward the per-owner limit', async () => {
    const { deps, registry } = fakeDeps();
    for (const [i, status] of (['DELETED', 'FAILED', 'READY', 'READY'] as const).entries()) {
      await registry.put(storedEnvironment({ id: `env-aaaaaaaaaaa${i}`, status }));
    }

    await expect(createEnvironment(deps, { owner: ALICE, body: { name: 'demo' } })).resolves.toBeDefined();
  });

  it('removes the record when the schedule cannot be created', async () => {
    const { deps, registry, scheduler, sfn } = fakeDeps();
    scheduler.failNext('create', awsError('ValidationException'));

    await expect(createEnvironment(deps, { owner: ALICE, body: { name: 'demo' } })).rejects.toThrow(
      'ValidationException',
    );

    expect(registry.items.size).toBe(0);
    expect(sfn.started).toHaveLength(0);
  });

  it('removes the schedule and the record when the execution cannot start', async () => {
    const { deps, registry, scheduler, sfn } = fakeDeps();
    sfn.failNext('start', awsError('ThrottlingException'));

    await expect(createEnvironment(deps, { owner: ALICE, body: { name: 'demo' } })).rejects.toThrow(ThrottledError);

    expect(registry.items.size).toBe(0);
    expect(scheduler.schedules.size).toBe(0);
  });

  it('still reports the original error when the undo itself fails', async () => {
    const { deps, registry, sfn } = fakeDeps();
    sfn.failNext('start', awsError('StateMachineDoesNotExist'));
    registry.failNext('remove', awsError('InternalServerError', 'server'));

    await expect(createEnvironment(deps, { owner: ALICE, body: { name: 'demo' } })).rejects.toThrow(
      'StateMachineDoesNotExist',
    );
  });

  it('records the execution even when the workflow wrote the record first', async () => {
    const { deps, registry, sfn } = fakeDeps();
    const start = sfn.send.bind(sfn);
    sfn.send = async (command: object) => {
      const result = await start(command);
      const [id] = [...registry.items.keys()];
      if (id !== undefined) registry.touch(id, { stackId: 'arn:aws:cloudformation:stack/x' });
      return result;
    };

    const view = await createEnvironment(deps, { owner: ALICE, body: { name: 'demo' } });

    expect(registry.items.get(view.id)).toMatchObject({ stackId: 'arn:aws:cloudformation:stack/x', version: 2 });
    expect(registry.items.get(view.id)?.executionArn).toContain(`${view.id}-provision-`);
  });
});

describe('getEnvironment and listEnvironments', () => {
  it('hides another principal’s environment exactly like a missing one', async () => {
    const { deps, registry } = fakeDeps();
    await registry.put(storedEnvironment({ id: 'env-aaaaaaaaaaa1', owner: ALICE }));

    const foreign = await getEnvironment(deps, BOB, 'env-aaaaaaaaaaa1').catch((e: Error) => e);
    const missing = await getEnvironment(deps, BOB, 'env-aaaaaaaaaaa2').catch((e: Error) => e);

    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((foreign as Error).message).toBe((missing as Error).message.replace('aaa2', 'aaa1'));
    expect(await getEnvironment(deps, ALICE, 'env-aaaaaaaaaaa1')).toMatchObject({ id: 'env-aaaaaaaaaaa1' });
  });

  it('lists only the caller’s environments, without internal fields', async () => {
    const { deps, registry } = fakeDeps();
    await registry.put(storedEnvironment({ id: 'env-aaaaaaaaaaa1', owner: ALICE }));
    await registry.put(storedEnvironment({ id: 'env-bbbbbbbbbbb1', owner: BOB }));

    const page = await listEnvironments(deps, BOB, {});

    expect(page.items.map((e) => e.id)).toEqual(['env-bbbbbbbbbbb1']);
    expect(page.items[0]).not.toHaveProperty('version');
    expect(page.nextToken).toBeUndefined();
  });
});

describe('deleteEnvironment', () => {
  it.each(['CREATING', 'VALIDATING', 'READY'] as const)('tears down a %s environment', async (status) => {
    const { deps, registry, scheduler, sfn } = fakeDeps();
    const env = storedEnvironment({ status });
    await registry.put(env);
    scheduler.schedules.set(SCHEDULE(env.id), {
      Name: 'x',
      ScheduleExpression: 'at()',
      FlexibleTimeWindow: undefined,
      Target: undefined,
    });

    const view = await deleteEnvironment(deps, ALICE, env.id);

    expect(view.status).toBe('DELETING');
    expect(sfn.started.map((s) => JSON.parse(s.input ?? '{}'))).toEqual([
      { action: 'teardown', environmentId: env.id, reason: 'deleted' },
    ]);
    expect(scheduler.schedules.has(SCHEDULE(env.id))).toBe(false);
    expect(registry.items.get(env.id)?.executionArn).toContain(`${env.id}-teardown-`);
  });

  it.each(['DELETING', 'DELETED', 'FAILED'] as const)('leaves a %s environment alone', async (status) => {
    const { deps, registry, sfn } = fakeDeps();
    const env = storedEnvironment({ status });
    await registry.put(env);

    const view = await deleteEnvironment(deps, ALICE, env.id);

    expect(view.status).toBe(status);
    expect(sfn.started).toHaveLength(0);
    expect(registry.items.get(env.id)?.version).toBe(env.version);
  });

  it('does not let another principal delete an environment', async () => {
    const { deps, registry, sfn } = fakeDeps();
    await registry.put(storedEnvironment());

    await expect(deleteEnvironment(deps, BOB, 'env-aaaaaaaaaaa1')).rejects.toThrow(NotFoundError);
    expect(registry.items.get('env-aaaaaaaaaaa1')?.status).toBe('READY');
    expect(sfn.started).toHaveLength(0);
  });

  it('answers with the current state when a concurrent delete won the race', async () => {
    const { deps, registry, sfn } = fakeDeps();
    const env = storedEnvironment({ status: 'READY' });
    await registry.put(env);
    const update = registry.update.bind(registry);
    registry.update = async (current: Environment, changes, allowedFrom) => {
      registry.touch(current.id, { status: 'DELETING' });
      registry.update = update;
      return update(current, changes, allowedFrom);
    };

    const view = await deleteEnvironment(deps, ALICE, env.id);

    expect(view.status).toBe('DELETING');
    expect(sfn.started).toHaveLength(0);
  });
});

describe('extendEnvironment', () => {
  it('moves expiresAt and the schedule to now + ttl', async () => {
    const { deps, registry, scheduler } = fakeDeps();
    const env = storedEnvironment();
    await registry.put(env);
    scheduler.schedules.set(SCHEDULE(env.id), {
      Name: 'x',
      ScheduleExpression: 'at(old)',
      FlexibleTimeWindow: undefined,
      Target: undefined,
    });

    const view = await extendEnvironment(deps, ALICE, env.id, 45);

    expect(view.expiresAt).toBe('2026-03-01T12:45:00.000Z');
    expect(scheduler.schedules.get(SCHEDULE(env.id))?.ScheduleExpression).toBe('at(2026-03-01T12:45:00)');
  });

  it('recreates the schedule when it has disappeared', async () => {
    const { deps, registry, scheduler } = fakeDeps();
    await registry.put(storedEnvironment());

    await extendEnvironment(deps, ALICE, 'env-aaaaaaaaaaa1', 60);

    expect(scheduler.schedules.get(SCHEDULE('env-aaaaaaaaaaa1'))?.ScheduleExpression).toBe('at(2026-03-01T13:00:00)');
  });

  it('caps the expiry at the maximum lifetime counted from creation', async () => {
    const { deps, registry } = fakeDeps();
    await registry.put(storedEnvironment({ createdAt: '2026-02-23T12:30:00.000Z' }));

    const view = await extendEnvironment(deps, ALICE, 'env-aaaaaaaaaaa1', 3000);

    expect(view.expiresAt).toBe('2026-03-02T12:30:00.000Z');
  });

  it('refuses once the maximum lifetime is used up', async () => {
    const { deps, registry } = fakeDeps();
    await registry.put(storedEnvironment({ createdAt: '2026-02-01T00:00:00.000Z' }));

    await expect(extendEnvironment(deps, ALICE, 'env-aaaaaaaaaaa1', 60)).rejects.toThrow(ConflictError);
  });

  it.each(['DELETING', 'DELETED', 'FAILED'] as const)('refuses a %s environment with ConflictError', async (status) => {
    const { deps, registry } = fakeDeps();
    await registry.put(storedEnvironment({ status }));

    await expect(extendEnvironment(deps, ALICE, 'env-aaaaaaaaaaa1', 60)).rejects.toThrow(ConflictError);
  });

  it('puts the old expiry back when the schedule cannot be moved', async () => {
    const { deps, registry, scheduler } = fakeDeps();
    const env = storedEnvironment();
    await registry.put(env);
    scheduler.failNext('update', awsError('InternalServerException', 'server'));

    await expect(extendEnvironment(deps, ALICE, env.id, 60)).rejects.toThrow('InternalServerException');

    expect(registry.items.get(env.id)?.expiresAt).toBe(env.expiresAt);
  });
});

describe('deleteEnvironment when the schedule cannot be deleted', () => {
  it('still answers DELETING, because the teardown is already running', async () => {
    const { deps, registry, scheduler, sfn } = fakeDeps();
    await registry.put(storedEnvironment());
    scheduler.failNext('delete', awsError('AccessDeniedException'));

    const view = await deleteEnvironment(deps, ALICE, 'env-aaaaaaaaaaa1');

    expect(view.status).toBe('DELETING');
    expect(sfn.started).toHaveLength(1);
  });
});
