import { recordFailure } from '../domain/failure.js';
import { RecordFailureInput } from '../schemas/workflow.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** RecordCreateFailure / RecordValidationFailure / RecordTeardownFailure: stores why the lifecycle failed. */
export const handler = taskHandler(RecordFailureInput, (input) => recordFailure({ registry: registry() }, input));
