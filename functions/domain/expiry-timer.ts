import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { WorkflowInput } from '../schemas/workflow.js';
import { expiryScheduleName } from './naming.js';
import { translateAwsError } from './registry.js';

export interface ExpiryTimerDeps {
  scheduler: Pick<SchedulerClient, 'send'>;
  /** Schedule group holding every expiry schedule (SCHEDULE_GROUP). */
  scheduleGroup: string;
  /** The lifecycle state machine the schedule starts (STATE_MACHINE_ARN). */
  stateMachineArn: string;
  /** Role the scheduler assumes to start the execution (SCHEDULER_ROLE_ARN). */
  schedulerRoleArn: string;
}

/** Where an environment's schedule is: all that reading or deleting it needs (no target, no role). */
export type ScheduleAddress = Pick<ExpiryTimerDeps, 'scheduler' | 'scheduleGroup'>;

export { expiryScheduleName };

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC; the scheduler has whole-second resolution, so round up. */
export function atExpression(expiresAt: string): string {
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${expiresAt}`);
  const rounded = new Date(Math.ceil(ms / 1000) * 1000);
  return `at(${rounded.toISOString().slice(0, 19)})`;
}

function scheduleInput(deps: ExpiryTimerDeps, environmentId: string, expiresAt: string): CreateScheduleCommandInput {
  const input: WorkflowInput = { action: 'teardown', environmentId, reason: 'expired' };
  return {
    Name: expiryScheduleName(environmentId),
    GroupName: deps.scheduleGroup,
    ScheduleExpression: atExpression(expiresAt),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Description: `Tears down ${environmentId} when its time to live runs out`,
    Target: { Arn: deps.stateMachineArn, RoleArn: deps.schedulerRoleArn, Input: JSON.stringify(input) },
  };
}

/** Creates the one-time schedule that starts the teardown at `expiresAt`. */
export async function createExpirySchedule(
  deps: ExpiryTimerDeps,
  environmentId: string,
  expiresAt: string,
): Promise<void> {
  try {
    await deps.scheduler.send(new CreateScheduleCommand(scheduleInput(deps, environmentId, expiresAt)));
  } catch (error) {
    translateAwsError(error, 'create expiry schedule');
  }
}

/** Moves the schedule to a new time; recreates it if it is gone (e.g. it fired and deleted itself, or was lost). */
export async function updateExpirySchedule(
  deps: ExpiryTimerDeps,
  environmentId: string,
  expiresAt: string,
): Promise<void> {
  try {
    await deps.scheduler.send(new UpdateScheduleCommand(scheduleInput(deps, environmentId, expiresAt)));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      return createExpirySchedule(deps, environmentId, expiresAt);
    }
    translateAwsError(error, 'update expiry schedule');
  }
}

/** Deletes the schedule; a schedule that does not exist counts as deleted. */
export async function deleteExpirySchedule(deps: ScheduleAddress, environmentId: string): Promise<void> {
  try {
    await deps.scheduler.send(
      new DeleteScheduleCommand({ Name: expiryScheduleName(environmentId), GroupName: deps.scheduleGroup }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return;
    translateAwsError(error, 'delete expiry schedule');
  }
}

export interface ExpiryScheduleState {
  exists: boolean;
  /** The schedule's expression when it exists, e.g. `at(2026-01-01T12:00:00)`. */
  expression?: string;
}

/** Whether the environment's expiry schedule exists (the sweeper recreates missing ones). */
export async function getExpirySchedule(deps: ScheduleAddress, environmentId: string): Promise<ExpiryScheduleState> {
  try {
    const output = await deps.scheduler.send(
      new GetScheduleCommand({ Name: expiryScheduleName(environmentId), GroupName: deps.scheduleGroup }),
    );
    return output.ScheduleExpression === undefined
      ? { exists: true }
      : { exists: true, expression: output.ScheduleExpression };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return { exists: false };
    return translateAwsError(error, 'get expiry schedule');
  }
}
