import { finishTeardown } from '../domain/teardown.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { tagging } from '../shared/clients/tagging.js';
import { systemClock } from '../shared/clock.js';
import { recordFinishedTeardown } from '../shared/lifecycle-metrics.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** FinishTeardown: nothing tagged may remain; stores the receipt, DELETED (or FAILED) → `FinishTeardownResult`. */
export const handler = taskHandler(EnvironmentTaskInput, async ({ environmentId }) => {
  const result = await finishTeardown(
    { registry: registry(), cfn: cloudFormation(), tagging: tagging(), clock: systemClock },
    environmentId,
  );
  recordFinishedTeardown(result);
  return result;
});
