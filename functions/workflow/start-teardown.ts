import { deleteExpirySchedule } from '../domain/expiry-timer.js';
import { cancelWarnings } from '../domain/expiry-warnings.js';
import { terminateProvisionedProduct } from '../domain/service-catalog.js';
import { startTeardown } from '../domain/teardown.js';
import { StackWaitInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { scheduler } from '../shared/clients/scheduler.js';
import { serviceCatalog } from '../shared/clients/service-catalog.js';
import { stepFunctions } from '../shared/clients/step-functions.js';
import { systemClock } from '../shared/clock.js';
import { getMinutesListFromEnv, getNumberFromEnv, getStringFromEnv } from '../shared/env.js';
import { recordTeardownAttempt } from '../shared/lifecycle-metrics.js';
import { logger } from '../shared/powertools.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/**
 * StartTeardown (callback task): DELETING with the task token stored, expiry and warning schedules removed, DeleteStack with the
 * CloudFormation role, the Service Catalog provisioned product terminated (catalog environments).
 */
export const handler = taskHandler(StackWaitInput, async (input) => {
  const schedule = { scheduler: scheduler(), scheduleGroup: getStringFromEnv('SCHEDULE_GROUP') };
  const result = await startTeardown(
    {
      registry: registry(),
      cfn: cloudFormation(),
      sfn: stepFunctions(),
      deleteExpirySchedule: async (id) => {
        await deleteExpirySchedule(schedule, id);
        await cancelWarnings({ ...schedule, leadsMinutes: getMinutesListFromEnv('EXPIRY_WARNING_MINUTES') }, id);
      },
      terminateCatalogProduct: (environment) => terminateProvisionedProduct(serviceCatalog(), environment),
      clock: systemClock,
      logger,
      config: {
        cfnRoleArn: getStringFromEnv('CFN_ROLE_ARN'),
        maxAttempts: getNumberFromEnv('MAX_TEARDOWN_ATTEMPTS', 3),
      },
    },
    input,
  );
  recordTeardownAttempt();
  return result;
});
