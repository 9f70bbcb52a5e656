import { execFile } from 'node:child_process';
import path from 'node:path';
import {
  EventBridgeClient,
  ListEventBusesCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, ListScheduleGroupsCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../control-plane/config.js';
import { atExpression } from '../../functions/domain/expiry-timer.js';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type EmulatorFaults, emulatorFaults } from '../../local/emulator-faults.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { lifecycleEventViolations } from '../helpers/lifecycle-event-schemas.js';
import { fastLocalOptions } from './local-api.js';

/**
 * The `dsenv` CLI, run as its own process (the package's bin) against local mode, signing with two different
 * access keys: create --wait to READY, list, extend, events, delete --wait to DELETED, a failure's exit code, and
 * owner isolation between the two signing identities; and the lifecycle events an SQS queue subscribed to the
 * control plane's bus in the emulator receives meanwhile. One launcher for the file.
 */
const BIN = path.join(REPO_ROOT, 'cli', 'dsenv.js');
const ALICE_KEY = 'AKIAALICE0000000CLI1';
const BOB_KEY = 'AKIABOB00000000CLI02';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('dsenv CLI against local mode', () => {
  let local: LocalControlPlane;
  let faults: EmulatorFaults;
  let scheduler: SchedulerClient;
  let sqs: SQSClient;
  let queueUrl: string;

  /** Runs the CLI signing with `accessKeyId`; `null`: no credentials at all (unsigned, the default local user). */
  const dsenv = (args: string[], accessKeyId: string | null = ALICE_KEY): Promise<Run> =>
    new Promise((resolve) => {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: '/nonexistent',
        DSENV_ENDPOINT: local.apiUrl,
        AWS_REGION: 'us-east-1',
        ...(accessKeyId === null ? {} : { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: 'local-secret' }),
      };
      execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      });
    });

  beforeAll(async () => {
    // The default warnings (30 and 5 minutes) and one short enough to fire during the test.
    local = await startLocalControlPlane(fastLocalOptions({ config: { expiryWarningMinutes: [30, 5, 0.5] } }));
    faults = emulatorFaults(local.emulatorUrl);
    scheduler = new SchedulerClient(emulatorClientConfig(local.emulatorUrl));
    sqs = new SQSClient(emulatorClientConfig(local.emulatorUrl));
    queueUrl = await subscribeQueue();
  }, 120_000);
  afterAll(async () => {
    scheduler?.destroy();
    sqs?.destroy();
    await local?.stop();
  });

  /** A queue receiving every event of source dsenv on the control plane's bus. */
  async function subscribeQueue(): Promise<string> {
    const events = new EventBridgeClient(emulatorClientConfig(local.emulatorUrl));
    const buses = (await events.send(new ListEventBusesCommand({}))).EventBuses ?? [];
    const bus = buses.find((b) => b.Name?.includes('LifecycleEventsBus'))?.Name;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'lifecycle-events' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await events.send(
      new PutRuleCommand({
        Name: 'all-lifecycle',
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: ['dsenv'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'all-lifecycle',
        EventBusName: bus,
        Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }],
      }),
    );
    events.destroy();
    return QueueUrl as string;
  }

  async function received(): Promise<{ 'detail-type': string; detail: { id: string } }[]> {
    const messages: { 'detail-type': string; detail: { id: string } }[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages.map((m) => JSON.parse(m.Body ?? '{}')));
    }
  }

  /** The expression of a schedule of the control plane's group, or undefined when there is none of that name. */
  async function schedule(name: string): Promise<string | undefined> {
    const groups = (await scheduler.send(new ListScheduleGroupsCommand({}))).ScheduleGroups ?? [];
    const group = groups.find((g) => g.Name !== 'default')?.Name;
    try {
      return (await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }))).ScheduleExpression;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  it('creates with --wait to READY, lists, extends, shows the timeline and deletes with --wait to DELETED', async () => {
    // Act: create and wait
    const created = await dsenv(['create', 'demo', '--ttl', '5m', '--wait', '--poll', '1s']);

    // Assess: exit 0 at READY, with the URLs printed and the progress on stderr
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^env-[a-z0-9]{12} is READY\n/);
    const urls = created.stdout.split('\n').slice(1).filter(Boolean);
    expect(urls.some((u) => u.startsWith('http://127.0.0.1:'))).toBe(true);
    expect(urls.some((u) => u.startsWith('http://[::1]:'))).toBe(true);
    expect(created.stderr).toMatch(/check http-ipv6 passed/);
    expect(created.stderr).toMatch(/status VALIDATING → READY/);
    const id = created.stdout.split(' ')[0] as string;

    // Act / Assess: list -o json is the API's body
    const listed = await dsenv(['list', '-o', 'json']);
    expect(listed.code).toBe(0);
    const items = (JSON.parse(listed.stdout) as { items: { id: string; name: string; cost: { hourlyUsd: number } }[] })
      .items;
    expect(items.map((e) => [e.id, e.name])).toEqual([[id, 'demo']]);
    expect(items[0]?.cost.hourlyUsd).toBeGreaterThan(0);

    // Act / Assess: extend by name moves the expiry and its schedule
    const before = Date.now();
    const extended = await dsenv(['extend', 'demo', '30m', '-o', 'json']);
    expect(extended.code, extended.stderr).toBe(0);
    const expiresAt = (JSON.parse(extended.stdout) as { expiresAt: string }).expiresAt;
    expect(Date.parse(expiresAt) - before).toBeGreaterThan(29 * 60_000);
    expect(await schedule(`dsenv-${id}-expiry`)).toBe(atExpression(expiresAt));
    const fiveBefore = new Date(Date.parse(expiresAt) - 5 * 60_000).toISOString();
    expect(await schedule(`dsenv-${id}-warn-5m`)).toBe(atExpression(fiveBefore));
    expect(await schedule(`dsenv-${id}-warn-30m`)).toBeUndefined();

    // Act / Assess: the other signing identity sees none of it
    const bobList = await dsenv(['list', '-o', 'json'], BOB_KEY);
    expect(JSON.parse(bobList.stdout)).toEqual({ items: [] });
    const bobGet = await dsenv(['get', id], BOB_KEY);
    expect(bobGet.code).toBe(4);
    expect(bobGet.stderr).toMatch(/NotFound: environment env-[a-z0-9]{12} not found \(request id [0-9a-f-]{36}\)/);

    // Act / Assess: delete and wait
    const deleted = await dsenv(['delete', 'demo', '--wait', '--poll', '1s']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe(`${id} is DELETED`);

    // Act / Assess: the timeline holds the whole history, oldest first (written from the registry's change stream,
    // so its last entries may come a moment after DELETED)
    const timelineOf = async () =>
      (
        JSON.parse((await dsenv(['events', id, '-o', 'json'])).stdout) as {
          items: { type: string; to?: string; name?: string }[];
        }
      ).items;
    await expect
      .poll(async () => (await timelineOf()).filter((e) => e.type === 'status').map((e) => e.to), { timeout: 10_000 })
      .toEqual(['CREATING', 'VALIDATING', 'READY', 'DELETING', 'DELETED']);
    const timeline = await timelineOf();
    expect(timeline.filter((e) => e.type === 'check').map((e) => e.name)).toContain('http-ipv6');
    expect(timeline.filter((e) => e.type === 'expiry')).toHaveLength(2);
    expect(timeline.some((e) => e.type === 'teardown')).toBe(true);
    expect(timeline.filter((e) => e.type === 'stack')).toMatchObject([{ stackStatus: 'CREATE_COMPLETE' }]);

    // Assess: the subscribed queue received each lifecycle event, each valid against its schema
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const lifecycle = (await received()).filter((e) => e.detail.id === id);
    expect(lifecycle.map((e) => e['detail-type']).sort()).toEqual(
      ['Creating', 'Ready', 'Extended', 'Deleting', 'Deleted'].map((t) => `Environment ${t}`).sort(),
    );
    for (const event of lifecycle) expect(lifecycleEventViolations(event)).toEqual([]);
  }, 180_000);

  it('warns before a short time to live runs out, then tears down at expiry: the queue and the timeline agree', async () => {
    // Act: one minute to live, unsigned (the default local user); its 0.5-minute warning fires after 30 s
    const created = await dsenv(['create', 'short', '--ttl', '1m', '--wait', '--poll', '1s'], null);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.split(' ')[0] as string;
    const watched = await dsenv(['watch', id, '--poll', '1s', '--timeout', '3m'], null);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    // Assess: DELETED after an Expiring Soon, which says how to extend
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout.trim()).toBe(`${id} is DELETED`);
    const lifecycle = (await received()).filter((e) => e.detail.id === id);
    expect(lifecycle.map((e) => e['detail-type'])).toEqual(
      ['Creating', 'Ready', 'Expiring Soon', 'Deleting', 'Deleted'].map((t) => `Environment ${t}`),
    );
    for (const event of lifecycle) expect(lifecycleEventViolations(event)).toEqual([]);
    expect(lifecycle[2]?.detail).toMatchObject({
      owner: 'local-user',
      extend: { cli: `dsenv extend ${id} 60m`, api: `PATCH /environments/${id} {"ttlMinutes": 60}` },
    });
    const timeline = async () =>
      (
        JSON.parse((await dsenv(['events', 'short', '-o', 'json'], null)).stdout) as {
          items: { type: string; to?: string }[];
        }
      ).items;
    await expect
      .poll(
        async () =>
          (await timeline())
            .filter((e) => e.type === 'status' || e.type === 'expiring-soon')
            .map((e) => e.to ?? e.type),
        { timeout: 10_000 },
      )
      .toEqual(['CREATING', 'VALIDATING', 'READY', 'expiring-soon', 'DELETING', 'DELETED']);
  }, 240_000);

  it('exits 2 with the reason when the environment fails', async () => {
    // Prepare
    await faults.arm({ failCreate: { resource: 'LoadBalancer', message: 'Too many load balancers' } });

    // Act
    const run = await dsenv(['create', 'broken', '--ttl', '5m', '--wait', '--poll', '1s'], BOB_KEY);
    await faults.clear();

    // Assess
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/is FAILED: provisioning failed: .*LoadBalancer .*Too many load balancers/);
    // The timeline tells how the stack ended, with the failed resource's reason, before the FAILED status
    const timeline = async () =>
      (
        JSON.parse((await dsenv(['events', 'broken', '-o', 'json'], BOB_KEY)).stdout) as {
          items: { type: string; to?: string; stackStatus?: string; reason?: string }[];
        }
      ).items.filter((e) => e.type === 'stack' || e.to === 'FAILED');
    await expect
      .poll(async () => (await timeline()).map((e) => e.type), { timeout: 10_000 })
      .toEqual(['stack', 'status']);
    expect((await timeline())[0]).toMatchObject({
      stackStatus: 'CREATE_FAILED',
      reason: expect.stringMatching(/LoadBalancer .*Too many load balancers/),
    });
  }, 180_000);

  it('exits 1 on a usage error and on a refused request, printing the API message', async () => {
    const badDuration = await dsenv(['create', 'x', '--ttl', 'soon']);
    const badName = await dsenv(['create', 'Not_A_Name']);

    expect(badDuration.code).toBe(1);
    expect(badDuration.stderr).toMatch(/"soon" is not a duration/);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/ValidationError: name must match/);
  }, 60_000);
});
