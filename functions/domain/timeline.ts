import type { Environment } from '../schemas/environment.js';
import type { NewTimelineEvent } from '../schemas/timeline.js';

/**
 * What a write to an environment's record adds to its timeline, read from the record before and after the
 * write: a status change (with the failure reason), a new expiry, each check of a new validation, a teardown
 * receipt. The registry appends these with every write, so no writer can forget one.
 */
export function eventsOfChange(before: Environment | undefined, after: Environment): NewTimelineEvent[] {
  const events: NewTimelineEvent[] = [];
  if (before?.status !== after.status) {
    const reason = after.status === 'FAILED' ? after.failureReason : undefined;
    events.push({
      type: 'status',
      ...(before === undefined ? {} : { from: before.status }),
      to: after.status,
      ...(reason === undefined ? {} : { reason }),
    });
  }
  if (before?.expiresAt !== after.expiresAt) {
    events.push({
      type: 'expiry',
      expiresAt: after.expiresAt,
      ...(before === undefined ? {} : { previous: before.expiresAt }),
    });
  }
  if (after.validation !== undefined && before?.validation?.checkedAt !== after.validation.checkedAt) {
    for (const check of after.validation.checks) {
      events.push({ type: 'check', name: check.name, result: check.status, detail: check.detail });
    }
  }
  const teardown = after.teardown;
  if (teardown !== undefined && JSON.stringify(before?.teardown) !== JSON.stringify(teardown)) {
    events.push({
      type: 'teardown',
      step:
        teardown.remaining.length > 0 ? 'resources-remain' : after.status === 'DELETED' ? 'verified' : 'stack-deleted',
      stackStatus: teardown.stackStatus,
      remaining: teardown.remaining.length,
      attempts: teardown.attempts,
    });
  }
  return events;
}
