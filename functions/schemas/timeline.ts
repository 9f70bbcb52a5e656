import * as z from 'zod/mini';
import { CheckName, EnvironmentStatus } from './environment.js';

/**
 * One entry of an environment's timeline (`GET /environments/{id}/events`), oldest first: what changed, when.
 * Stored in the registry table next to the environment (functions/domain/registry.ts).
 */
const at = z.iso.datetime();

export const StatusEvent = z.object({
  at,
  type: z.literal('status'),
  from: z.optional(EnvironmentStatus),
  to: EnvironmentStatus,
  reason: z.optional(z.string()),
});

export const ExpiryEvent = z.object({
  at,
  type: z.literal('expiry'),
  expiresAt: z.iso.datetime(),
  previous: z.optional(z.iso.datetime()),
});

export const StackEvent = z.object({
  at,
  type: z.literal('stack'),
  stackStatus: z.string(),
  resourcesDone: z.optional(z.number().check(z.int(), z.nonnegative())),
  resourcesTotal: z.optional(z.number().check(z.int(), z.nonnegative())),
  reason: z.optional(z.string()),
});

export const CheckEvent = z.object({
  at,
  type: z.literal('check'),
  name: CheckName,
  /** Not `status`: a timeline entry must never carry the keys of the registry's byStatus index. */
  result: z.enum(['passed', 'failed', 'skipped']),
  detail: z.string(),
});

export const TeardownEvent = z.object({
  at,
  type: z.literal('teardown'),
  step: z.enum(['stack-deleted', 'resources-remain', 'verified']),
  stackStatus: z.string(),
  remaining: z.number().check(z.int(), z.nonnegative()),
  attempts: z.number().check(z.int(), z.nonnegative()),
});

export const WarningEvent = z.object({
  at,
  type: z.literal('expiring-soon'),
  expiresAt: z.iso.datetime(),
  minutesLeft: z.number().check(z.int(), z.nonnegative()),
});

export const TimelineEvent = z.discriminatedUnion('type', [
  StatusEvent,
  ExpiryEvent,
  StackEvent,
  CheckEvent,
  TeardownEvent,
  WarningEvent,
]);
export type TimelineEvent = z.infer<typeof TimelineEvent>;

/** The events an environment's change produces, before they are stamped with the time of the write. */
export type NewTimelineEvent = TimelineEvent extends infer E
  ? E extends { at: string }
    ? Omit<E, 'at'>
    : never
  : never;
