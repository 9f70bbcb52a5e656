import { Resolver } from 'node:dns/promises';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { atExpressionTime } from '../../local/scheduler-stand-in.js';
import { type ApiEnvironment, call, fastLocalOptions, processAlive, urlListening, waitForStatus } from './local-api.js';

/**
 * The whole lifecycle in local mode, against the real emulator: create → READY with evidence → expiry
 * (TTL 1 minute) or DELETE → DELETED, with nothing of the environment left running or answering.
 */
describe('local mode lifecycle', () => {
  let local: LocalControlPlane;
  const lines: string[] = [];
  let expiring: ApiEnvironment;
  let deleted: ApiEnvironment;

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({
        log: (line) => lines.push(line),
      }),
    );
    // Both created up front: the expiring one's minute runs while the other is exercised.
    const first = await call(local.apiUrl, 'POST', '/environments', { name: 'demo', ttlMinutes: 1 });
    const second = await call(local.apiUrl, 'POST', '/environments', { name: 'patched', ttlMinutes: 1 });
    expect([first.status, second.status]).toEqual([202, 202]);
    expiring = first.body as unknown as ApiEnvironment;
    deleted = second.body as unknown as ApiEnvironment;
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
  });

  it('creates an environment that goes CREATING → READY with all ten checks passed and local URLs on both families', async () => {
    expect(expiring.status).toBe('CREATING');

    const { environment, seen } = await waitForStatus(local.apiUrl, expiring.id, ['READY', 'FAILED'], 60_000);

    expect(seen[0]).toBe('CREATING');
    expect(environment.status).toBe('READY');
    expect(environment.validation?.checks).toHaveLength(10);
    expect(environment.validation?.checks.filter((c) => c.status !== 'passed')).toEqual([]);
    const urls = environment.outputs.localUrls ?? [];
    expect(urls).toHaveLength(2);
    expect(urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls[1]).toMatch(/^http:\/\/\[::1\]:\d+$/);
    for (const url of urls) {
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
    }
    // Resumed by the stack's own CREATE_COMPLETE event: no look at the stack, no polling loop.
    // (Validate sets READY just before the execution records its last states: wait for them.)
    await expect
      .poll(() => statesEntered(expiring.id, 'provision'), { timeout: 10_000 })
      .toEqual(['Route', 'CreateStack', 'ProbeIpv6', 'Validate', 'Valid?', 'Ready']);
    const events = local.stackEvents.delivered().filter((e) => e.detail['stack-id'] === environment.stackId);
    expect(events.map((e) => [e.detail['status-details'].status, e.detail['client-request-token']])).toEqual([
      ['CREATE_COMPLETE', `${expiring.id}-create-1`],
    ]);
  });

  it('moves the expiry with PATCH, and tears down at once with DELETE', async () => {
    await waitForStatus(local.apiUrl, deleted.id, ['READY'], 60_000);
    const live = local.liveEnvironments().find((e) => e.environmentId === deleted.id);
    expect(live).toBeDefined();

    const patched = await call(local.apiUrl, 'PATCH', `/environments/${deleted.id}`, { ttlMinutes: 30 });

    expect(patched.status).toBe(200);
    const expiresAt = Date.parse(String(patched.body.expiresAt));
    expect(expiresAt).toBeGreaterThan(Date.parse(deleted.expiresAt) + 20 * 60_000);
    const scheduler = new SchedulerClient(emulatorClientConfig(local.emulatorUrl));
    const schedule = await scheduler.send(
      new GetScheduleCommand({ Name: `dsenv-${deleted.id}-expiry`, GroupName: process.env.SCHEDULE_GROUP }),
    );
    // at() has whole seconds: the schedule fires at the first second not before the new expiry.
    const firesAt = atExpressionTime(schedule.ScheduleExpression ?? '')?.getTime() ?? 0;
    expect(firesAt - expiresAt).toBeGreaterThan(-1000);
    expect(firesAt - expiresAt).toBeLessThan(1000);

    const removal = await call(local.apiUrl, 'DELETE', `/environments/${deleted.id}`);

    expect(removal.status).toBe(202);
    const { environment } = await waitForStatus(local.apiUrl, deleted.id, ['DELETED', 'FAILED'], 30_000);
    expect(environment.status).toBe('DELETED');
    expect(statesEntered(deleted.id, 'teardown')).toEqual(['Route', 'StartTeardown', 'FinishTeardown', 'TornDown']);
    await expectNothingLeft(environment, live?.probePid ?? -1, live?.publicUri ?? '');
  });

  it('deletes an environment by itself when its TTL runs out', async () => {
    const ready = await waitForStatus(local.apiUrl, expiring.id, ['READY'], 5_000);
    const live = local.liveEnvironments().find((e) => e.environmentId === expiring.id);
    expect(live).toBeDefined();
    const urls = ready.environment.outputs.localUrls ?? [];

    const { environment, seen } = await waitForStatus(local.apiUrl, expiring.id, ['DELETED', 'FAILED'], 120_000);

    expect(seen).toContain('DELETED');
    expect(environment.status).toBe('DELETED');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiring.expiresAt));
    await expectNothingLeft(environment, live?.probePid ?? -1, live?.publicUri ?? '', urls);
  });

  function statesEntered(environmentId: string, action: string): string[] {
    const execution = local.stepFunctions
      .executions()
      .find((e) => JSON.parse(e.input).environmentId === environmentId && JSON.parse(e.input).action === action);
    return (execution?.events ?? []).filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');
  }

  async function expectNothingLeft(environment: ApiEnvironment, probePid: number, publicUri: string, urls?: string[]) {
    expect(environment.outputs.localUrls).toBeUndefined();
    expect(environment.teardown?.remaining).toEqual([]);
    expect(local.liveEnvironments().some((e) => e.environmentId === environment.id)).toBe(false);
    expect(processAlive(probePid)).toBe(false);
    for (const url of urls ?? []) expect(await urlListening(url)).toBe(false);
    const cfn = new CloudFormationClient(emulatorClientConfig(local.emulatorUrl));
    await expect(cfn.send(new DescribeStacksCommand({ StackName: `dsenv-${environment.id}` }))).rejects.toThrow(
      /does not exist/,
    );
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([local.dnsServer]);
    await expect(resolver.resolve4(publicUri)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  }
});
