import { finishTeardown } from '../domain/teardown.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { cloudFormation, systemClock, tagging } from '../shared/clients.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** FinishTeardown: nothing tagged may remain; stores the receipt, DELETED (or FAILED) → `FinishTeardownResult`. */
export const handler = taskHandler(EnvironmentTaskInput, ({ environmentId }) =>
  finishTeardown(
    { registry: registry(), cfn: cloudFormation(), tagging: tagging(), clock: systemClock },
    environmentId,
  ),
);
