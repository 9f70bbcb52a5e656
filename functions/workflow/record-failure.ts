import { recordFailure } from '../domain/failure.js';
import { RecordFailureInput } from '../schemas/workflow.js';
import { recordFailureRecorded } from '../shared/lifecycle-metrics.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** RecordCreateFailure / RecordValidationFailure / RecordTeardownFailure: stores why the lifecycle failed. */
export const handler = taskHandler(RecordFailureInput, async (input) => {
  const result = await recordFailure({ registry: registry() }, input);
  recordFailureRecorded(input, result);
  return result;
});
