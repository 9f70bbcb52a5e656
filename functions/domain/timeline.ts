import type { Environment } from '../schemas/environment.js';
import type { NewTimelineEvent, TimelineEvent } from '../schemas/timeline.js';
import { environmentImage, type RegistryStreamRecord } from './lifecycle-events.js';
import type { Registry } from './registry.js';

/**
 * An environment's timeline is derived from its record: the registry's change stream hands every stored write
 * (the record before and after) to `recordTimelines`, which writes what the change means. No writer can forget
 * an entry, none is written for a write that failed, and none slows the write down.
 */
export interface TimelineEntry {
  /**
   * Sort key within the environment: the record's version, then the entry's place in that change. The version,
   * not a clock, orders them (writers' clocks differ); the same change always gets the same keys.
   */
  readonly eventKey: string;
  readonly event: TimelineEvent;
}

const VERSION_DIGITS = 10;

/** The sort key of the `index`th entry of the record's `version`. */
export function timelineKey(version: number, index: number | string): string {
  const place = typeof index === 'number' ? String(index).padStart(3, '0') : index;
  return `${String(version).padStart(VERSION_DIGITS, '0')}#${place}`;
}

/** The entries of one stored change, stamped with the time of the write. */
export function timelineOfChange(before: Environment | undefined, after: Environment): TimelineEntry[] {
  return eventsOfChange(before, after).map((event, index) => ({
    eventKey: timelineKey(after.version, index),
    event: { ...event, at: after.updatedAt } as TimelineEvent,
  }));
}

/**
 * Writes the timeline of a batch of the registry's change-stream records, in order: each change of a record adds
 * its entries; a removed record (a creation undone) takes its timeline with it. Other items (the entries
 * themselves) add nothing. Returns how many entries were written.
 */
export async function recordTimelines(
  registry: Pick<Registry, 'putTimeline' | 'removeTimeline'>,
  records: readonly RegistryStreamRecord[],
): Promise<number> {
  let written = 0;
  for (const record of records) {
    const before = environmentImage(record.dynamodb?.OldImage);
    if (record.eventName === 'REMOVE') {
      if (before !== undefined) await registry.removeTimeline(before.id);
      continue;
    }
    const after = environmentImage(record.dynamodb?.NewImage);
    if (after === undefined) continue;
    const entries = timelineOfChange(before, after);
    if (entries.length > 0) await registry.putTimeline(after.id, entries);
    written += entries.length;
  }
  return written;
}

/**
 * What a write to an environment's record adds to its timeline, read from the record before and after the
 * write: a status change (with the failure reason), how the stack's create ended (with the failed resources'
 * reasons), a new expiry, each check of a new validation, a teardown receipt.
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
  const stack = after.stack;
  if (stack !== undefined && JSON.stringify(before?.stack) !== JSON.stringify(stack)) {
    events.push({
      type: 'stack',
      stackStatus: stack.status,
      ...(stack.reason === undefined ? {} : { reason: stack.reason }),
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
