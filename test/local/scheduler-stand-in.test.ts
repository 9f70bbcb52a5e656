import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { atExpressionTime, startSchedulerStandIn } from '../../local/scheduler-stand-in.js';
import { type StepFunctionsStandIn, startStepFunctionsStandIn } from '../../local/step-functions-stand-in.js';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:expiry-target';
const GROUP = 'dsenv-test-schedules';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** `at()` wants local time without zone: yyyy-mm-ddThh:mm:ss. */
const at = (date: Date) => `at(${date.toISOString().slice(0, 19)})`;

describe('local scheduler stand-in', () => {
  let emulator: RunningEmulator;
  let sfn: StepFunctionsStandIn;
  let scheduler: SchedulerClient;
  let stepFunctions: SFNClient;

  beforeAll(async () => {
    emulator = await startEmulator({ extended: false });
    sfn = await startStepFunctionsStandIn({
      stateMachineArn: STATE_MACHINE,
      definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } } as unknown as StateMachineDefinition,
      tasks: {},
    });
    scheduler = new SchedulerClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials });
    stepFunctions = new SFNClient({ endpoint: sfn.endpoint, region: 'us-east-1', credentials });
    await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  });
  afterAll(async () => {
    await sfn.close();
    await emulator.stop();
  });

  async function createSchedule(name: string, when: Date, input: object): Promise<void> {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: name,
        GroupName: GROUP,
        ScheduleExpression: at(when),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: STATE_MACHINE,
          RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
          Input: JSON.stringify(input),
        },
      }),
    );
  }

  it('fires a due at() schedule once, starting its target with its input, then deletes it', async () => {
    await createSchedule('dsenv-env-aaaaaaaaaaaa-expiry', new Date(Date.now() - 1000), {
      action: 'teardown',
      environmentId: 'env-aaaaaaaaaaaa',
      reason: 'expired',
    });
    await createSchedule('dsenv-env-bbbbbbbbbbbb-expiry', new Date(Date.now() + 3_600_000), { later: true });
    const stand = startSchedulerStandIn({ scheduler, stepFunctions, groupName: GROUP, intervalMs: 60_000 });

    const first = await stand.tick();
    const second = await stand.tick();
    await stand.stop();

    expect(first).toEqual(['dsenv-env-aaaaaaaaaaaa-expiry']);
    expect(second).toEqual([]);
    const started = sfn.executions();
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]?.input ?? '{}')).toEqual({
      action: 'teardown',
      environmentId: 'env-aaaaaaaaaaaa',
      reason: 'expired',
    });
    const left = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
    expect(left.Schedules?.map((s) => s.Name)).toEqual(['dsenv-env-bbbbbbbbbbbb-expiry']);
  });

  it('does not fire a schedule before its time', async () => {
    const stand = startSchedulerStandIn({
      scheduler,
      stepFunctions,
      groupName: GROUP,
      intervalMs: 60_000,
      now: () => new Date(Date.now() + 30 * 60_000),
    });

    const fired = await stand.tick();
    await stand.stop();

    expect(fired).toEqual([]);
    const still = await scheduler.send(
      new GetScheduleCommand({ Name: 'dsenv-env-bbbbbbbbbbbb-expiry', GroupName: GROUP }),
    );
    expect(still.Name).toBe('dsenv-env-bbbbbbbbbbbb-expiry');
  });

  it('reads at() expressions in UTC and in a named time zone', () => {
    expect(atExpressionTime('at(2026-11-26T12:00:00)')?.toISOString()).toBe('2026-11-26T12:00:00.000Z');
    expect(atExpressionTime('at(2026-11-26T12:00:00)', 'Europe/Paris')?.toISOString()).toBe('2026-11-26T11:00:00.000Z');
    expect(atExpressionTime('rate(5 minutes)')).toBeUndefined();
  });
});
