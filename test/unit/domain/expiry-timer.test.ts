import { describe, expect, it } from 'vitest';
import {
  atExpression,
  createExpirySchedule,
  deleteExpirySchedule,
  type ExpiryTimerDeps,
  getExpirySchedule,
  updateExpirySchedule,
} from '../../../functions/domain/expiry-timer.js';
import { ThrottledError } from '../../../functions/shared/errors.js';
import { awsError, FakeScheduler } from '../api/support/fakes.js';

function setup() {
  const scheduler = new FakeScheduler();
  const deps: ExpiryTimerDeps = {
    scheduler: scheduler.asClient(),
    scheduleGroup: 'dsenv',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:dsenv-lifecycle',
    schedulerRoleArn: 'arn:aws:iam::123456789012:role/dsenv-scheduler',
  };
  return { scheduler, deps };
}

describe('expiry timer', () => {
  it('writes at() in UTC without milliseconds, rounding up so it never fires early', () => {
    expect(atExpression('2026-03-01T13:00:00.000Z')).toBe('at(2026-03-01T13:00:00)');
    expect(atExpression('2026-03-01T13:00:00.001Z')).toBe('at(2026-03-01T13:00:01)');
    expect(atExpression('2026-03-01T15:00:00+02:00')).toBe('at(2026-03-01T13:00:00)');
    expect(() => atExpression('tomorrow')).toThrow();
  });

  it('creates a one-time schedule that starts the expired teardown and deletes itself', async () => {
    const { scheduler, deps } = setup();

    await createExpirySchedule(deps, 'env-aaaaaaaaaaa1', '2026-03-01T13:00:00.000Z');

    expect(scheduler.schedules.get('dsenv/dsenv-env-aaaaaaaaaaa1-expiry')).toMatchObject({
      ScheduleExpression: 'at(2026-03-01T13:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: deps.stateMachineArn,
        RoleArn: deps.schedulerRoleArn,
        Input: '{"action":"teardown","environmentId":"env-aaaaaaaaaaa1","reason":"expired"}',
      },
    });
  });

  it('moves an existing schedule and recreates a missing one', async () => {
    const { scheduler, deps } = setup();
    await createExpirySchedule(deps, 'env-aaaaaaaaaaa1', '2026-03-01T13:00:00.000Z');

    await updateExpirySchedule(deps, 'env-aaaaaaaaaaa1', '2026-03-01T18:00:00.000Z');
    await updateExpirySchedule(deps, 'env-aaaaaaaaaaa2', '2026-03-01T19:00:00.000Z');

    expect(scheduler.schedules.get('dsenv/dsenv-env-aaaaaaaaaaa1-expiry')?.ScheduleExpression).toBe(
      'at(2026-03-01T18:00:00)',
    );
    expect(scheduler.schedules.get('dsenv/dsenv-env-aaaaaaaaaaa2-expiry')?.ScheduleExpression).toBe(
      'at(2026-03-01T19:00:00)',
    );
  });

  it('deletes idempotently and reports whether a schedule exists', async () => {
    const { deps } = setup();
    await createExpirySchedule(deps, 'env-aaaaaaaaaaa1', '2026-03-01T13:00:00.000Z');

    expect(await getExpirySchedule(deps, 'env-aaaaaaaaaaa1')).toEqual({
      exists: true,
      expression: 'at(2026-03-01T13:00:00)',
    });
    await deleteExpirySchedule(deps, 'env-aaaaaaaaaaa1');
    await deleteExpirySchedule(deps, 'env-aaaaaaaaaaa1');
    expect(await getExpirySchedule(deps, 'env-aaaaaaaaaaa1')).toEqual({ exists: false });
  });

  it('turns scheduler throttling into ThrottledError and passes other failures on', async () => {
    const { scheduler, deps } = setup();
    scheduler.failNext('create', awsError('ThrottlingException'));
    await expect(createExpirySchedule(deps, 'env-aaaaaaaaaaa1', '2026-03-01T13:00:00.000Z')).rejects.toBeInstanceOf(
      ThrottledError,
    );
    scheduler.failNext('delete', awsError('AccessDeniedException'));
    await expect(deleteExpirySchedule(deps, 'env-aaaaaaaaaaa1')).rejects.toThrow('AccessDeniedException');
  });
});
