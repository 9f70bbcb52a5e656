import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteScheduleCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type EmulatorFaults, emulatorFaults } from '../../local/emulator-faults.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { assertInvariants } from './invariants.js';
import { type ApiEnvironment, call, fastLocalOptions, getEnvironment, waitForStatus } from './local-api.js';

/**
 * Fault injection on local mode: each scenario breaks one thing the way AWS (or the service) sometimes does,
 * drives an environment through the HTTP API like a user, checks the outcome, then the four invariants
 * (test/local/invariants.ts). One launcher for the file; scenarios run one after the other.
 */
type Environment = ApiEnvironment & {
  stackId?: string;
  teardown?: { remaining: string[]; attempts: number; stackStatus: string };
};

/** The SDK clients' `maxAttempts` (functions/shared/clients/client-options.ts): one more throttled call fails the task itself. */
const SDK_ATTEMPTS = 3;

describe('fault injection on local mode', () => {
  let local: LocalControlPlane;
  let faults: EmulatorFaults;
  let cfn: CloudFormationClient;
  const touched: string[] = [];

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({
        sweepIntervalMs: 2000,
        // FinishTeardown's 5 retries then span 3 s: longer than the lingering interface below, whatever the load.
        retryIntervalMs: 600,
      }),
    );
    faults = emulatorFaults(local.emulatorUrl);
    cfn = new CloudFormationClient(emulatorClientConfig(local.emulatorUrl));
  }, 120_000);
  afterEach(async () => {
    await faults.clear();
    for (const id of touched.splice(0)) local.setTargetFault(id, undefined);
  });
  afterAll(async () => {
    cfn?.destroy();
    await local?.stop();
  });

  async function create(name: string): Promise<string> {
    const res = await call(local.apiUrl, 'POST', '/environments', { name, ttlMinutes: 30 });
    expect(res.status).toBe(202);
    const id = String(res.body.id);
    touched.push(id);
    return id;
  }
  async function settle(id: string, statuses = ['DELETED', 'FAILED'], timeoutMs = 60_000): Promise<Environment> {
    return (await waitForStatus(local.apiUrl, id, statuses, timeoutMs)).environment as Environment;
  }
  async function remove(id: string): Promise<Environment> {
    expect((await call(local.apiUrl, 'DELETE', `/environments/${id}`)).status).toBe(202);
    return settle(id);
  }
  const invariants = () =>
    assertInvariants(local.emulatorUrl, { liveEnvironmentIds: local.liveEnvironments().map((e) => e.environmentId) });
  const executionsOf = (id: string) =>
    local.stepFunctions
      .executions()
      .filter((e) => (JSON.parse(e.input) as { environmentId: string }).environmentId === id);
  const invocations = (id: string, state: string) =>
    executionsOf(id).reduce((sum, e) => sum + (e.taskInvocations[state] ?? 0), 0);

  it('survives CloudFormation throttling past the SDK retries: the state machine retries CreateStack and DeleteStack', async () => {
    await faults.arm({ throttle: { action: 'CreateStack', count: SDK_ATTEMPTS + 1 } });

    const id = await create('throttled');
    const ready = await settle(id, ['READY', 'FAILED']);

    expect(ready.status, ready.failureReason).toBe('READY');
    expect((await faults.armed()).throttle[0]?.count).toBe(0);
    // One state-machine retry past the SDK's own (a lost race with the API's write no longer adds one).
    expect(invocations(id, 'CreateStack')).toBe(2);

    await faults.arm({ throttle: { action: 'DeleteStack', count: SDK_ATTEMPTS + 1, stackName: `dsenv-${id}` } });
    const deleted = await remove(id);

    expect(deleted.status).toBe('DELETED');
    expect((await faults.armed()).throttle[1]?.count).toBe(0);
    expect(invocations(id, 'StartTeardown')).toBe(2);
    expect(deleted.teardown?.attempts).toBe(1);
    await invariants();
  });

  it.each([
    { rollback: false, final: 'CREATE_FAILED' },
    { rollback: true, final: 'ROLLBACK_COMPLETE' },
  ])(
    'ends FAILED with the resource named when a create fails ($final), and leaves nothing behind',
    async ({ rollback, final }) => {
      await faults.arm({ failCreate: { resource: 'LoadBalancer', rollback, message: 'Too many load balancers' } });

      const id = await create(`create-failed-${rollback ? 'rb' : 'dn'}`);
      const environment = await settle(id);

      expect(environment.status).toBe('FAILED');
      expect(environment.failureReason).toMatch(/^provisioning failed: .*LoadBalancer .*Too many load balancers/);
      const { StackEvents = [] } = await cfn.send(new DescribeStackEventsCommand({ StackName: environment.stackId }));
      const statuses = StackEvents.filter((e) => e.LogicalResourceId === `dsenv-${id}`).map((e) => e.ResourceStatus);
      expect(statuses).toContain(final);
      expect(statuses[0]).toBe('DELETE_COMPLETE');
      // The stack's own failure event failed the wait (SendTaskFailure), not a look at the stack.
      const failureEvents = local.stackEvents
        .deliveries()
        .filter((d) => d.event.detail['stack-id'] === environment.stackId)
        .filter((d) => d.event.detail['status-details'].status === final);
      expect(failureEvents.map((d) => (d.result as { outcome?: string } | undefined)?.outcome)).toEqual(['failed']);
      expect(executionsOf(id).some((e) => e.events.some((event) => event.stateName === 'CheckCreate'))).toBe(false);
      await invariants();
    },
  );

  it('waits for a stack that is slow to create (CREATE_IN_PROGRESS for 1.5 s): its own event resumes it, READY', async () => {
    await faults.arm({ slowCreate: { seconds: 1.5, times: 1 } });

    const id = await create('slow-stack');
    const environment = await settle(id, ['READY', 'FAILED']);

    expect(environment.status).toBe('READY');
    expect((await faults.armed()).slowCreate[0]?.times).toBe(0);
    // Within the heartbeat (3 s here): no look at the stack, the CREATE_COMPLETE event that came with the outcome.
    expect(invocations(id, 'CheckCreate')).toBe(0);
    const completions = local.stackEvents
      .deliveries()
      .filter((d) => d.event.detail['stack-id'].includes(`:stack/dsenv-${id}/`))
      .filter((d) => d.event.detail['status-details'].status === 'CREATE_COMPLETE');
    expect(completions.map((d) => (d.result as { outcome?: string } | undefined)?.outcome)).toEqual(['resumed']);
    await remove(id);
    await invariants();
  });

  it('retries a DeleteStack that ends DELETE_FAILED once, then ends DELETED after the second attempt', async () => {
    const id = await create('delete-once');
    expect((await settle(id, ['READY', 'FAILED'])).status).toBe('READY');
    await faults.arm({ failDelete: { stackName: `dsenv-${id}`, times: 1 } });

    const environment = await remove(id);

    expect(environment.status).toBe('DELETED');
    expect(environment.teardown).toMatchObject({ attempts: 2, remaining: [] });
    // DELETE_FAILED of attempt 1, then DELETE_COMPLETE of attempt 2, each resuming the wait of its attempt.
    const teardownEvents = local.stackEvents
      .deliveries()
      .filter((d) => d.event.detail['stack-id'] === environment.stackId)
      .filter((d) => d.event.detail['status-details'].status.startsWith('DELETE_'))
      .filter((d) => !d.event.detail['status-details'].status.endsWith('_IN_PROGRESS'));
    expect(
      teardownEvents.map((d) => [
        d.event.detail['status-details'].status,
        d.event.detail['client-request-token'],
        (d.result as { outcome?: string } | undefined)?.outcome,
      ]),
    ).toEqual([
      ['DELETE_FAILED', `${id}-delete-1`, 'failed'],
      ['DELETE_COMPLETE', `${id}-delete-2`, 'resumed'],
    ]);
    await invariants();
  });

  it('reports a stack that always ends DELETE_FAILED as FAILED with the stuck resource named, never DELETED', async () => {
    const id = await create('delete-never');
    expect((await settle(id, ['READY', 'FAILED'])).status).toBe('READY');
    await faults.arm({ failDelete: { stackName: `dsenv-${id}`, resource: 'NetworkStack' } });

    const environment = await remove(id);

    expect(environment.status).toBe('FAILED');
    expect(environment.failureReason).toMatch(/could not be deleted in 3 attempts .*DELETE_FAILED.*\[NetworkStack\]/);
    expect(environment.teardown?.attempts).toBe(3);
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: environment.stackId }));
    expect(Stacks?.[0]?.StackStatus).toBe('DELETE_FAILED');
    await invariants();

    // Once the cause is gone, the sweeper removes the failed environment's stack.
    await faults.clear();
    await local.sweep();
    await local.sweep();
    const after = await cfn.send(new DescribeStacksCommand({ StackName: environment.stackId }));
    expect(after.Stacks?.[0]?.StackStatus).toBe('DELETE_COMPLETE');
    await invariants();
  });

  it('waits out a network interface that lingers after DELETE_COMPLETE, then ends DELETED with a clean receipt', async () => {
    const id = await create('eni-lingers');
    expect((await settle(id, ['READY', 'FAILED'])).status).toBe('READY');
    // Lingers longer than DeleteStack → first FinishTeardown takes even on a loaded machine, so the check sees it.
    await faults.arm({ lingerAfterDelete: { stackName: `dsenv-${id}`, environmentId: id, seconds: 2 } });

    const environment = await remove(id);

    expect(environment.status).toBe('DELETED');
    expect(environment.teardown?.remaining).toEqual([]);
    expect(invocations(id, 'FinishTeardown')).toBeGreaterThanOrEqual(2);
    await invariants();
  });

  it('ends FAILED naming the network interface that never goes away, never DELETED', async () => {
    const id = await create('eni-stuck');
    expect((await settle(id, ['READY', 'FAILED'])).status).toBe('READY');
    await faults.arm({ lingerAfterDelete: { stackName: `dsenv-${id}`, environmentId: id } });

    const environment = await remove(id);

    expect(environment.status).toBe('FAILED');
    expect(environment.failureReason).toMatch(/^teardown failed: .*network-interface\/eni-/);
    expect(environment.teardown?.remaining).toEqual([expect.stringMatching(/:network-interface\/eni-/)]);
    await invariants();
  });

  it.each([
    { fault: 'probe-5xx', failed: ['http-ipv4', 'http-ipv6'], detail: /HTTP 500/ },
    { fault: 'probe-timeout', failed: ['http-ipv4', 'http-ipv6'], detail: /no answer within/ },
    { fault: 'ipv6-down', failed: ['http-ipv6'], detail: /ECONNRESET|socket hang up/ },
  ] as const)(
    'fails validation when the service misbehaves ($fault) and tears the environment down',
    async ({ fault, failed, detail }) => {
      const id = await create(fault);
      local.setTargetFault(id, fault);

      const environment = await settle(id);

      expect(environment.status).toBe('FAILED');
      expect(environment.failureReason).toMatch(/^validation failed: /);
      const checks = environment.validation?.checks ?? [];
      for (const name of failed) {
        const check = checks.find((c) => c.name === name);
        expect(check?.status, name).toBe('failed');
        expect(check?.detail).toMatch(detail);
      }
      if (fault === 'ipv6-down') {
        expect(checks.find((c) => c.name === 'http-ipv4')?.status).toBe('passed');
        expect(checks.filter((c) => c.status !== 'passed').map((c) => c.name)).toEqual(['http-ipv6']);
      }
      expect(environment.teardown?.remaining).toEqual([]);
      await invariants();
    },
  );

  it('honours an expiry whose schedule was lost: the sweeper recreates the schedule, and tears down once it is due', async () => {
    const id = await create('schedule-lost');
    expect((await settle(id, ['READY', 'FAILED'])).status).toBe('READY');
    const scheduler = new SchedulerClient(emulatorClientConfig(local.emulatorUrl));
    const schedule = { Name: `dsenv-${id}-expiry`, GroupName: process.env.SCHEDULE_GROUP };
    const original = await scheduler.send(new GetScheduleCommand(schedule));

    await scheduler.send(new DeleteScheduleCommand(schedule));
    await local.sweep();
    await local.sweep(); // the first may have been a periodic sweep already under way

    const recreated = await scheduler.send(new GetScheduleCommand(schedule));
    expect(recreated.ScheduleExpression).toBe(original.ScheduleExpression);

    // The expiry passes (the record says it is due), and the schedule is lost again. The record is changed first and
    // a sweep awaited before the schedule goes: a periodic sweep that read the record before the change could
    // otherwise recreate the schedule for the old expiry once it is deleted.
    const due = await getEnvironment(local.apiUrl, id);
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(emulatorClientConfig(local.emulatorUrl)));
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: { id },
        UpdateExpression: 'SET expiresAt = :past, version = version + :one',
        ConditionExpression: '#status = :ready',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString(), ':one': 1, ':ready': 'READY' },
      }),
    );
    await local.sweep();
    await local.sweep();
    await scheduler.send(new DeleteScheduleCommand(schedule));
    expect(due.status).toBe('READY');

    const environment = await settle(id, ['DELETED', 'FAILED'], 30_000);

    expect(environment.status).toBe('DELETED');
    expect(executionsOf(id).some((e) => (JSON.parse(e.input) as { reason?: string }).reason === 'expired')).toBe(true);
    scheduler.destroy();
    documents.destroy();
    await invariants();
  });

  it('deletes a stack that has no record (left by an interrupted run)', async () => {
    const orphan = 'env-orphan0stack';
    const parent = await cfn.send(
      new CreateStackCommand({
        StackName: `dsenv-${orphan}`,
        TemplateBody: JSON.stringify({
          Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/16' } } },
        }),
        Tags: [{ Key: 'dsenv:environment-id', Value: orphan }],
      }),
    );

    await local.sweep();
    await local.sweep();

    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: parent.StackId }));
    expect(Stacks?.[0]?.StackStatus).toBe('DELETE_COMPLETE');
    await invariants();
  });
});
