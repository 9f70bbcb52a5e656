import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { lifecycleEventsOf, lifecycleEventsOfRecord } from '../../../functions/domain/lifecycle-events.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import {
  LIFECYCLE_DETAIL_TYPES,
  LIFECYCLE_EVENT_SOURCE,
  lifecycleEventJsonSchema,
} from '../../../functions/schemas/lifecycle-events.js';
import { lifecycleEventSchemaFile, lifecycleEventViolations } from '../../helpers/lifecycle-event-schemas.js';
import { storedEnvironment } from '../api/support/environments.js';

const creating = storedEnvironment({ status: 'CREATING', outputs: {} });
const asDelivered = (e: { detailType: string; detail: unknown }) => ({
  source: LIFECYCLE_EVENT_SOURCE,
  'detail-type': e.detailType,
  detail: e.detail,
});

describe('lifecycle events', () => {
  it('has a checked-in JSON Schema per detail type, equal to the one the code defines', () => {
    for (const detailType of Object.values(LIFECYCLE_DETAIL_TYPES)) {
      expect(lifecycleEventSchemaFile(detailType)).toEqual(lifecycleEventJsonSchema(detailType));
    }
  });

  it('publishes the status an environment enters and an extension, each valid against its schema', () => {
    // Prepare: a whole lifecycle, write by write
    const steps: [Environment | undefined, Environment][] = [];
    const validating = { ...creating, status: 'VALIDATING' as const };
    const ready = { ...validating, status: 'READY' as const, outputs: { publicUri: 'http://x.example' } };
    const extended = { ...ready, expiresAt: '2026-03-01T20:00:00.000Z' };
    const deleting = { ...extended, status: 'DELETING' as const };
    const deleted = { ...deleting, status: 'DELETED' as const };
    steps.push([undefined, creating], [creating, validating], [validating, ready], [ready, extended]);
    steps.push([extended, deleting], [deleting, deleted]);

    // Act
    const events = steps.flatMap(([before, after]) => lifecycleEventsOf(before, after));

    // Assess
    expect(events.map((e) => e.detailType)).toEqual([
      'Environment Creating',
      'Environment Ready',
      'Environment Extended',
      'Environment Deleting',
      'Environment Deleted',
    ]);
    expect(events[1]?.detail).toMatchObject({ schemaVersion: '1', id: creating.id, urls: ['http://x.example'] });
    for (const event of events) expect(lifecycleEventViolations(asDelivered(event))).toEqual([]);
  });

  it('publishes Failed with the reason, and the schema refuses a Failed event without one', () => {
    const failed = { ...creating, status: 'FAILED' as const, failureReason: 'provisioning failed: x' };

    const [event] = lifecycleEventsOf(creating, failed);

    expect(event?.detail.reason).toBe('provisioning failed: x');
    expect(lifecycleEventViolations(asDelivered(event as NonNullable<typeof event>))).toEqual([]);
    const { reason: _reason, ...withoutReason } = event?.detail ?? {};
    expect(
      lifecycleEventViolations({ ...asDelivered(event as NonNullable<typeof event>), detail: withoutReason }),
    ).not.toEqual([]);
  });

  it("reads the registry's stream records: environment records only, new images against old", () => {
    const ready = { ...creating, status: 'READY' as const };
    const timelineItem = { id: `${creating.id}#2026`, environmentId: creating.id, eventKey: '2026', type: 'status' };

    expect(
      lifecycleEventsOfRecord({
        eventName: 'MODIFY',
        dynamodb: { OldImage: marshall(creating), NewImage: marshall(ready) },
      }).map((e) => e.detailType),
    ).toEqual(['Environment Ready']);
    expect(lifecycleEventsOfRecord({ eventName: 'INSERT', dynamodb: { NewImage: marshall(timelineItem) } })).toEqual(
      [],
    );
    expect(lifecycleEventsOfRecord({ eventName: 'REMOVE', dynamodb: { OldImage: marshall(ready) } })).toEqual([]);
  });
});
