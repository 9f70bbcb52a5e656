import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import * as z from 'zod/mini';
import { atExpression } from './expiry-timer.js';
import { type Registry, translateAwsError } from './registry.js';
import { timelineKey } from './timeline.js';

/**
 * The `Expiring Soon` warnings of an environment: one one-time schedule per lead time (EXPIRY_WARNING_MINUTES,
 * default 30 and 5) that fits in the time left, each invoking the warning function (WARNING_FUNCTION_ARN) at
 * expiry minus its lead. Moved with the expiry, cancelled with the environment.
 */
export interface WarningAddress {
  scheduler: Pick<SchedulerClient, 'send'>;
  scheduleGroup: string;
  /** Lead times in minutes. */
  leadsMinutes: readonly number[];
}

export interface WarningDeps extends WarningAddress {
  schedulerRoleArn: string;
  warningFunctionArn: string;
}

/** What a warning schedule hands the warning function. */
export const ExpiryWarningInput = z.strictObject({
  environmentId: z.string(),
  minutesLeft: z.number().check(z.positive()),
  expiresAt: z.iso.datetime(),
});
export type ExpiryWarningInput = z.infer<typeof ExpiryWarningInput>;

export function warningScheduleName(environmentId: string, leadMinutes: number): string {
  return `dsenv-${environmentId}-warn-${leadMinutes}m`;
}

const isNotFound = (error: unknown) => (error as { name?: string }).name === 'ResourceNotFoundException';

function warningSchedule(deps: WarningDeps, input: ExpiryWarningInput, at: string): CreateScheduleCommandInput {
  return {
    Name: warningScheduleName(input.environmentId, input.minutesLeft),
    GroupName: deps.scheduleGroup,
    ScheduleExpression: atExpression(at),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Description: `Warns that ${input.environmentId} expires in ${input.minutesLeft} min`,
    Target: { Arn: deps.warningFunctionArn, RoleArn: deps.schedulerRoleArn, Input: JSON.stringify(input) },
  };
}

async function deleteWarning(deps: WarningAddress, name: string): Promise<void> {
  try {
    await deps.scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: deps.scheduleGroup }));
  } catch (error) {
    if (!isNotFound(error)) translateAwsError(error, 'delete warning schedule');
  }
}

const isConflict = (error: unknown) => (error as { name?: string }).name === 'ConflictException';

/** Creates the schedule (the usual case: a new environment), or updates the one an earlier expiry set. */
async function upsertWarning(deps: WarningDeps, schedule: CreateScheduleCommandInput): Promise<void> {
  try {
    await deps.scheduler.send(new CreateScheduleCommand(schedule));
  } catch (error) {
    if (!isConflict(error)) translateAwsError(error, 'create warning schedule');
    try {
      await deps.scheduler.send(new UpdateScheduleCommand(schedule));
    } catch (updateError) {
      translateAwsError(updateError, 'update warning schedule');
    }
  }
}

/** Sets the warnings of an environment expiring at `expiresAt`: those that fit after `now`, no others (at once). */
export async function scheduleWarnings(
  deps: WarningDeps,
  environmentId: string,
  expiresAt: string,
  now: Date,
): Promise<void> {
  await Promise.all(
    deps.leadsMinutes.map((lead) => {
      const at = new Date(Date.parse(expiresAt) - lead * 60_000);
      const name = warningScheduleName(environmentId, lead);
      return at.getTime() <= now.getTime()
        ? deleteWarning(deps, name)
        : upsertWarning(deps, warningSchedule(deps, { environmentId, minutesLeft: lead, expiresAt }, at.toISOString()));
    }),
  );
}

/** Cancels every warning of the environment; one that does not exist counts as cancelled. */
export async function cancelWarnings(deps: WarningAddress, environmentId: string): Promise<void> {
  await Promise.all(deps.leadsMinutes.map((lead) => deleteWarning(deps, warningScheduleName(environmentId, lead))));
}

/**
 * What a warning schedule does when it fires: records `expiring-soon` on the environment's timeline (the registry's
 * stream publishes it as `Environment Expiring Soon`), unless the environment is no longer live or its expiry has
 * moved since the warning was set (then a newer warning, or none, applies).
 */
export async function warnOfExpiry(
  registry: Pick<Registry, 'get' | 'putTimeline'>,
  input: ExpiryWarningInput,
  now: Date,
): Promise<{ warned: boolean }> {
  const env = await registry.get(input.environmentId);
  const live = env !== undefined && ['CREATING', 'VALIDATING', 'READY'].includes(env.status);
  if (!live || env.expiresAt !== input.expiresAt) return { warned: false };
  const minutesLeft = Math.round(input.minutesLeft);
  const due = new Date(Date.parse(env.expiresAt) - input.minutesLeft * 60_000).toISOString();
  // After the entries of the version it warns about, in the order the warnings are due; a second firing of the
  // same warning (delivery is at least once) overwrites the first and is not announced again.
  await registry.putTimeline(env.id, [
    {
      eventKey: timelineKey(env.version, `warn-${due}`),
      event: { at: now.toISOString(), type: 'expiring-soon', expiresAt: env.expiresAt, minutesLeft },
    },
  ]);
  return { warned: true };
}
