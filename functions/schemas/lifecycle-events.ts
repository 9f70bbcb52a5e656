import * as z from 'zod/mini';
import { EnvironmentStatus } from './environment.js';

/**
 * The lifecycle events the control plane puts on its EventBridge bus (source `dsenv`), one `detail-type` each.
 * `detail` is versioned (`schemaVersion`): fields are only ever added within a version. The JSON Schema of each
 * is in events/ (test/unit/domain/lifecycle-events.test.ts keeps them equal to these).
 */
export const LIFECYCLE_EVENT_SOURCE = 'dsenv';
export const LIFECYCLE_SCHEMA_VERSION = '1';

export const LIFECYCLE_DETAIL_TYPES = {
  creating: 'Environment Creating',
  ready: 'Environment Ready',
  failed: 'Environment Failed',
  expiringSoon: 'Environment Expiring Soon',
  extended: 'Environment Extended',
  deleting: 'Environment Deleting',
  deleted: 'Environment Deleted',
} as const;
export type LifecycleDetailType = (typeof LIFECYCLE_DETAIL_TYPES)[keyof typeof LIFECYCLE_DETAIL_TYPES];

const Detail = z.strictObject({
  schemaVersion: z.literal(LIFECYCLE_SCHEMA_VERSION),
  id: z.string().check(z.regex(/^env-[a-z0-9]{12}$/)),
  name: z.string(),
  owner: z.string(),
  status: EnvironmentStatus,
  expiresAt: z.iso.datetime(),
  /** Why it failed (Failed) or why it is being torn down (Deleting: deleted, expired, catalog-terminated). */
  reason: z.optional(z.string()),
  /** Where it answers (its public URI; in local mode also the URLs on the host). */
  urls: z.array(z.string()),
  cost: z.optional(z.strictObject({ currency: z.literal('USD'), hourlyUsd: z.number(), totalUsd: z.number() })),
  /** Expiring Soon only: how to give it more time. */
  extend: z.optional(z.strictObject({ cli: z.string(), api: z.string() })),
});

const withStatus = (statuses: readonly z.infer<typeof EnvironmentStatus>[]) =>
  z.extend(Detail, { status: z.enum(statuses as [string, ...string[]]) });

/** The `detail` of each detail type. */
export const LIFECYCLE_DETAILS = {
  'Environment Creating': withStatus(['CREATING']),
  'Environment Ready': withStatus(['READY']),
  'Environment Failed': z.extend(withStatus(['FAILED']), { reason: z.string() }),
  'Environment Expiring Soon': z.extend(withStatus(['CREATING', 'VALIDATING', 'READY']), {
    extend: z.strictObject({ cli: z.string(), api: z.string() }),
  }),
  'Environment Extended': withStatus(['CREATING', 'VALIDATING', 'READY']),
  'Environment Deleting': withStatus(['DELETING']),
  'Environment Deleted': withStatus(['DELETED']),
} as const satisfies Record<LifecycleDetailType, z.ZodMiniType>;

export type LifecycleDetail = z.infer<typeof Detail>;

/**
 * The JSON Schema (draft 2020-12) of a whole lifecycle event as EventBridge delivers it: source, detail-type and
 * the detail of that type. events/<detail-type>.schema.json holds each one.
 */
export function lifecycleEventJsonSchema(detailType: LifecycleDetailType): Record<string, unknown> {
  const { $schema: _schema, ...detail } = z.toJSONSchema(LIFECYCLE_DETAILS[detailType]) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://github.com/dsenv/events/${lifecycleEventFileName(detailType)}`,
    title: detailType,
    description: `The "${detailType}" event on the control plane's bus (detail schemaVersion ${LIFECYCLE_SCHEMA_VERSION})`,
    type: 'object',
    required: ['source', 'detail-type', 'detail'],
    properties: {
      source: { const: LIFECYCLE_EVENT_SOURCE },
      'detail-type': { const: detailType },
      time: { type: 'string' },
      detail,
    },
  };
}

/** `Environment Expiring Soon` → `environment-expiring-soon.schema.json`. */
export function lifecycleEventFileName(detailType: LifecycleDetailType): string {
  return `${detailType.toLowerCase().replace(/\s+/g, '-')}.schema.json`;
}
