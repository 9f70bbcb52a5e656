import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Environment } from '../schemas/environment.js';
import {
  LIFECYCLE_DETAIL_TYPES,
  LIFECYCLE_EVENT_SOURCE,
  LIFECYCLE_SCHEMA_VERSION,
  type LifecycleDetail,
  type LifecycleDetailType,
} from '../schemas/lifecycle-events.js';
import { TransientError } from '../shared/errors.js';
import { isEnvironmentItem, translateAwsError } from './registry.js';

/**
 * The lifecycle events of an environment, read from its record before and after a write (the registry's change
 * stream): the status it entered, or a new expiry while it lives. Published on the control plane's bus.
 */
export interface LifecycleEvent {
  detailType: LifecycleDetailType;
  detail: LifecycleDetail;
}

const ENTERED: Partial<Record<Environment['status'], LifecycleDetailType>> = {
  CREATING: LIFECYCLE_DETAIL_TYPES.creating,
  READY: LIFECYCLE_DETAIL_TYPES.ready,
  FAILED: LIFECYCLE_DETAIL_TYPES.failed,
  DELETING: LIFECYCLE_DETAIL_TYPES.deleting,
  DELETED: LIFECYCLE_DETAIL_TYPES.deleted,
};

/** The `detail` every event of this environment carries. */
export function lifecycleDetail(env: Environment): LifecycleDetail {
  const { publicUri, localUrls } = env.outputs;
  const reason = env.status === 'FAILED' ? (env.failureReason ?? 'no reason recorded') : undefined;
  return {
    schemaVersion: LIFECYCLE_SCHEMA_VERSION,
    id: env.id,
    name: env.name,
    owner: env.owner,
    status: env.status,
    expiresAt: env.expiresAt,
    ...(reason === undefined ? {} : { reason }),
    urls: [...(publicUri === undefined ? [] : [publicUri]), ...(localUrls ?? [])],
    ...(env.cost === undefined
      ? {}
      : { cost: { currency: env.cost.currency, hourlyUsd: env.cost.hourlyUsd, totalUsd: env.cost.totalUsd } }),
  };
}

export function lifecycleEventsOf(before: Environment | undefined, after: Environment): LifecycleEvent[] {
  const events: LifecycleEvent[] = [];
  const entered = before?.status === after.status ? undefined : ENTERED[after.status];
  if (entered !== undefined) events.push({ detailType: entered, detail: lifecycleDetail(after) });
  const live = ['CREATING', 'VALIDATING', 'READY'].includes(after.status);
  if (before !== undefined && live && before.expiresAt !== after.expiresAt) {
    events.push({ detailType: LIFECYCLE_DETAIL_TYPES.extended, detail: lifecycleDetail(after) });
  }
  return events;
}

export interface LifecyclePublisherDeps {
  events: Pick<EventBridgeClient, 'send'>;
  /** The control plane's bus (EVENT_BUS_NAME). */
  busName: string;
}

/** Puts the events on the bus, ten per call; a failed entry fails the whole batch (the stream delivers it again). */
export async function publishLifecycleEvents(deps: LifecyclePublisherDeps, events: readonly LifecycleEvent[]) {
  for (let i = 0; i < events.length; i += 10) {
    const entries = events.slice(i, i + 10).map((e) => ({
      EventBusName: deps.busName,
      Source: LIFECYCLE_EVENT_SOURCE,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
      Resources: [],
    }));
    let failed: number;
    try {
      failed = (await deps.events.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount ?? 0;
    } catch (error) {
      translateAwsError(error, 'put lifecycle events');
    }
    if (failed > 0) throw new TransientError(`${failed} of ${entries.length} lifecycle event(s) were not accepted`);
  }
}

/** A record of the registry's change stream (NEW_AND_OLD_IMAGES), as Lambda receives it. */
export interface RegistryStreamRecord {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, unknown>; OldImage?: Record<string, unknown> };
}

/** The environment a stream record's image holds; undefined for other items (timeline entries). */
export function environmentImage(image: Record<string, unknown> | undefined): Environment | undefined {
  if (image === undefined) return undefined;
  const item = unmarshall(image as Parameters<typeof unmarshall>[0]);
  return isEnvironmentItem(item) ? Environment.parse(item) : undefined;
}

/** The lifecycle events of one change of an environment's record (other items and removals have none). */
export function lifecycleEventsOfRecord(record: RegistryStreamRecord): LifecycleEvent[] {
  const after = environmentImage(record.dynamodb?.NewImage);
  if (after === undefined || record.eventName === 'REMOVE') return [];
  return lifecycleEventsOf(environmentImage(record.dynamodb?.OldImage), after);
}

/** `Expiring Soon`, with how to extend: the CLI command and the API call. */
export function expiringSoonEvent(env: Environment): LifecycleEvent {
  return {
    detailType: LIFECYCLE_DETAIL_TYPES.expiringSoon,
    detail: {
      ...lifecycleDetail(env),
      extend: {
        cli: `dsenv extend ${env.id} 60m`,
        api: `PATCH /environments/${env.id} {"ttlMinutes": 60}`,
      },
    },
  };
}

/**
 * Every lifecycle event of a batch of the registry's changes, in order: status changes and extensions from the
 * records' images, and `Expiring Soon` for each `expiring-soon` timeline entry (its environment read as it is now).
 */
export async function lifecycleEventsOfRecords(
  records: readonly RegistryStreamRecord[],
  getEnvironment: (id: string) => Promise<Environment | undefined>,
): Promise<LifecycleEvent[]> {
  const events: LifecycleEvent[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const item = image === undefined ? undefined : unmarshall(image as Parameters<typeof unmarshall>[0]);
    if (record.eventName === 'INSERT' && item?.type === 'expiring-soon' && typeof item.environmentId === 'string') {
      const env = await getEnvironment(item.environmentId);
      if (env !== undefined) events.push(expiringSoonEvent(env));
    } else {
      events.push(...lifecycleEventsOfRecord(record));
    }
  }
  return events;
}
