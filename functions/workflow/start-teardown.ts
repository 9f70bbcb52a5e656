import { deleteExpirySchedule, type ExpiryTimerDeps } from '../domain/expiry-timer.js';
import { startTeardown } from '../domain/teardown.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { cloudFormation, scheduler, systemClock } from '../shared/clients.js';
import { getNumberFromEnv, getStringFromEnv } from '../shared/env.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** StartTeardown: DELETING, expiry schedule removed, DeleteStack with the CloudFormation role → `StartTeardownResult`. */
export const handler = taskHandler(EnvironmentTaskInput, ({ environmentId }) => {
  // Deleting a schedule needs only the client and the group; the target fields are not read.
  const timer: ExpiryTimerDeps = {
    scheduler: scheduler(),
    scheduleGroup: getStringFromEnv('SCHEDULE_GROUP'),
    stateMachineArn: '',
    schedulerRoleArn: '',
  };
  return startTeardown(
    {
      registry: registry(),
      cfn: cloudFormation(),
      deleteExpirySchedule: (id) => deleteExpirySchedule(timer, id),
      clock: systemClock,
      config: {
        cfnRoleArn: getStringFromEnv('CFN_ROLE_ARN'),
        maxAttempts: getNumberFromEnv('MAX_TEARDOWN_ATTEMPTS', 3),
      },
    },
    environmentId,
  );
});
