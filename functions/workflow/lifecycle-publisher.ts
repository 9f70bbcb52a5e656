import * as z from 'zod/mini';
import { lifecycleEventsOfRecords, publishLifecycleEvents } from '../domain/lifecycle-events.js';
import { recordTimelines } from '../domain/timeline.js';
import { eventBridge } from '../shared/clients/eventbridge.js';
import { getStringFromEnv } from '../shared/env.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/**
 * The registry's change stream → each environment's timeline, then the lifecycle events on the control plane's
 * bus (EVENT_BUS_NAME): every write is stored first, whichever function wrote it, and only then recorded and
 * published, so neither slows a write down nor tells of one that failed. A status change or an extension is
 * published as its event, and each `expiring-soon` entry (written by the warning schedules) as
 * `Environment Expiring Soon`. A redelivered batch rewrites the same entries and may publish an event again.
 */
const RegistryStreamEvent = z.object({
  Records: z.array(
    z.object({
      eventName: z.optional(z.string()),
      dynamodb: z.optional(
        z.object({
          NewImage: z.optional(z.record(z.string(), z.unknown())),
          OldImage: z.optional(z.record(z.string(), z.unknown())),
        }),
      ),
    }),
  ),
});

export const handler = taskHandler(RegistryStreamEvent, async (event) => {
  const recorded = await recordTimelines(registry(), event.Records);
  const events = await lifecycleEventsOfRecords(event.Records, (id) => registry().get(id));
  await publishLifecycleEvents({ events: eventBridge(), busName: getStringFromEnv('EVENT_BUS_NAME') }, events);
  return { recorded, published: events.length };
});
