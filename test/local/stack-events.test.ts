import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorFaults, emulatorFaults } from '../../local/emulator-faults.js';
import type { StackStatusChange } from '../../local/eventbridge-stand-in.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { assertInvariants } from './invariants.js';
import { type ApiEnvironment, call, fastLocalOptions, getEnvironment, waitForStatus } from './local-api.js';

/**
 * The stack waits are resumed by CloudFormation's stack-status events (delivered at least once, possibly late or
 * not at all): each scenario bends the delivery the way EventBridge may, drives an environment through the API,
 * and checks that it ends right with nothing left (test/local/invariants.ts). One launcher for the file.
 */
type Environment = ApiEnvironment & { teardown?: { remaining: string[]; attempts: number } };

describe('stack-status events in local mode', () => {
  let local: LocalControlPlane;
  let faults: EmulatorFaults;
  /** Runs before each workflow task while a test sets it (to deliver an event at an exact point). */
  let beforeTask: ((state: string, payload: unknown) => Promise<void>) | undefined;

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({
        heartbeatMs: 3000,
        beforeTask: (state, payload) => beforeTask?.(state, payload) ?? Promise.resolve(),
      }),
    );
    faults = emulatorFaults(local.emulatorUrl);
  }, 120_000);
  afterEach(async () => {
    beforeTask = undefined;
    await faults.clear();
    local.stackEvents.setFault('*', {});
  });
  afterAll(async () => {
    await local?.stop();
  });

  async function create(name: string): Promise<string> {
    const res = await call(local.apiUrl, 'POST', '/environments', { name, ttlMinutes: 30 });
    expect(res.status).toBe(202);
    return String(res.body.id);
  }
  const settle = async (id: string, statuses: string[]) =>
    (await waitForStatus(local.apiUrl, id, statuses, 60_000)).environment as Environment;
  async function removeAndCheck(id: string): Promise<Environment> {
    expect((await call(local.apiUrl, 'DELETE', `/environments/${id}`)).status).toBe(202);
    const environment = await settle(id, ['DELETED', 'FAILED']);
    expect(environment.status).toBe('DELETED');
    await assertInvariants(local.emulatorUrl, {
      liveEnvironmentIds: local.liveEnvironments().map((e) => e.environmentId),
    });
    return environment;
  }
  const statesEntered = (id: string, action: string) =>
    local.stepFunctions
      .executions()
      .filter((e) => JSON.parse(e.input).environmentId === id && JSON.parse(e.input).action === action)
      .flatMap((e) => e.events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName));
  const deliveriesOf = (id: string, status?: string) =>
    local.stackEvents
      .deliveries()
      .filter((d) => d.event.detail['stack-id'].includes(`:stack/dsenv-${id}/`))
      .filter((d) => status === undefined || d.event.detail['status-details'].status === status);
  const outcomeOf = (result: unknown) => (result as { outcome?: string } | undefined)?.outcome;

  it('resumes once on a duplicated event: the copy finds its task over and is dropped', async () => {
    local.stackEvents.setFault('*', { duplicate: 1 });

    const id = await create('duplicated');
    const ready = await settle(id, ['READY', 'FAILED']);

    expect(ready.status).toBe('READY');
    await local.stackEvents.idle();
    const copies = deliveriesOf(id, 'CREATE_COMPLETE');
    expect(copies).toHaveLength(2);
    expect(copies.map((d) => outcomeOf(d.result)).sort()).toEqual(['closed', 'resumed']);
    expect(statesEntered(id, 'provision')).toEqual([
      'Route',
      'CreateStack',
      'ProbeIpv6',
      'Validate',
      'Valid?',
      'Ready',
    ]);
    await removeAndCheck(id);
  });

  it('gets READY when the event is lost: the heartbeat check looks at the stack once', async () => {
    local.stackEvents.setFault('*', { lose: 1 });

    const id = await create('lost-event');
    const ready = await settle(id, ['READY', 'FAILED']);

    expect(ready.status).toBe('READY');
    expect(deliveriesOf(id, 'CREATE_COMPLETE')).toEqual([]);
    expect(statesEntered(id, 'provision')).toEqual([
      'Route',
      'CreateStack',
      'CheckCreate',
      'ProbeIpv6',
      'Validate',
      'Valid?',
      'Ready',
    ]);
    await removeAndCheck(id);
  });

  it('drops a late event of an older delete attempt while the next attempt waits, then ends DELETED', async () => {
    const id = await create('old-attempt');
    expect((await settle(id, ['READY', 'FAILED'])).status).toBe('READY');
    // Attempt 1 ends DELETE_FAILED (its event delivered); attempt 2's DELETE_COMPLETE event is lost.
    await faults.arm({ failDelete: { stackName: `dsenv-${id}`, times: 1 } });
    local.stackEvents.setFault(`dsenv-${id}`, { skip: 1, lose: 1 });

    expect((await call(local.apiUrl, 'DELETE', `/environments/${id}`)).status).toBe(202);
    const attempts = async () => ((await getEnvironment(local.apiUrl, id)) as Environment).teardown?.attempts;
    for (let i = 0; i < 400 && (await attempts()) !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [failed] = deliveriesOf(id, 'DELETE_FAILED');
    expect(failed?.event.detail['client-request-token']).toBe(`${id}-delete-1`);
    const late: StackStatusChange = { ...(failed?.event as StackStatusChange), id: 'late-copy' };
    local.stackEvents.publish(late);
    await local.stackEvents.idle();

    expect(outcomeOf(local.stackEvents.deliveries().find((d) => d.event.id === 'late-copy')?.result)).toBe(
      'stale-attempt',
    );
    const environment = await settle(id, ['DELETED', 'FAILED']);
    expect(environment.status).toBe('DELETED');
    expect(environment.teardown?.attempts).toBe(2);
    expect(statesEntered(id, 'teardown')).toEqual([
      'Route',
      'StartTeardown',
      'CheckDelete',
      'FinishTeardown',
      'TornDown',
    ]);
    await assertInvariants(local.emulatorUrl, {
      liveEnvironmentIds: local.liveEnvironments().map((e) => e.environmentId),
    });
  });

  it('drops an event that comes before its wait is stored, and still gets READY on the real one', async () => {
    // Prepare: the moment CreateStack is about to run (its token not stored yet), this attempt's own CREATE_COMPLETE
    // arrives, as if delivered early; the task goes on only once the event was handled.
    let earlyFor: string | undefined;
    beforeTask = async (state, payload) => {
      const environmentId = (payload as { environmentId?: string }).environmentId;
      if (state !== 'CreateStack' || environmentId === undefined || earlyFor !== undefined) return;
      earlyFor = environmentId;
      const stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-${environmentId}/early`;
      local.stackEvents.publish({
        version: '0',
        id: 'early',
        'detail-type': 'CloudFormation Stack Status Change',
        source: 'aws.cloudformation',
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [stackId],
        detail: {
          'stack-id': stackId,
          'status-details': { status: 'CREATE_COMPLETE', 'status-reason': '' },
          'client-request-token': `${environmentId}-create-1`,
        },
      });
      await local.stackEvents.idle();
    };

    // Act
    const id = await create('early-event');
    const ready = await settle(id, ['READY', 'FAILED']);

    // Assess: the early copy found no wait and changed nothing; the real event resumed the wait once
    expect(earlyFor).toBe(id);
    const early = local.stackEvents.deliveries().find((d) => d.event.id === 'early');
    expect(outcomeOf(early?.result)).toBe('no-wait');
    expect(ready.status).toBe('READY');
    expect(ready.failureReason).toBeUndefined();
    expect(deliveriesOf(id, 'CREATE_COMPLETE').map((d) => outcomeOf(d.result))).toEqual(['no-wait', 'resumed']);
    expect(statesEntered(id, 'provision').filter((state) => state === 'CheckCreate')).toEqual([]);
    await removeAndCheck(id);
  });
});
