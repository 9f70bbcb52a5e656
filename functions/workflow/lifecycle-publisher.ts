import * as z from 'zod/mini';
import { lifecycleEventsOfRecords, publishLifecycleEvents } from '../domain/lifecycle-events.js';
import { eventBridge } from '../shared/clients/eventbridge.js';
import { getStringFromEnv } from '../shared/env.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/**
 * The registry's change stream → the lifecycle events on the control plane's bus (EVENT_BUS_NAME): every write
 * that changes an environment's status or extends it is published once it is stored, whichever function wrote it,
 * and each `expiring-soon` entry of a timeline (written by the warning schedules) as `Environment Expiring Soon`.
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
  const events = await lifecycleEventsOfRecords(event.Records, (id) => registry().get(id));
  await publishLifecycleEvents({ events: eventBridge(), busName: getStringFromEnv('EVENT_BUS_NAME') }, events);
  return { published: events.length };
});
