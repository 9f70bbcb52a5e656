import { deleteExpirySchedule } from '../domain/expiry-timer.js';
import { terminateProvisionedProduct } from '../domain/service-catalog.js';
import { startTeardown } from '../domain/teardown.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { scheduler } from '../shared/clients/scheduler.js';
import { serviceCatalog } from '../shared/clients/service-catalog.js';
import { systemClock } from '../shared/clock.js';
import { getNumberFromEnv, getStringFromEnv } from '../shared/env.js';
import { recordTeardownAttempt } from '../shared/lifecycle-metrics.js';
import { logger } from '../shared/powertools.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/**
 * StartTeardown: DELETING, expiry schedule removed, DeleteStack with the CloudFormation role, the Service Catalog
 * provisioned product terminated (catalog environments) → `StartTeardownResult`.
 */
export const handler = taskHandler(EnvironmentTaskInput, async ({ environmentId }) => {
  const schedule = { scheduler: scheduler(), scheduleGroup: getStringFromEnv('SCHEDULE_GROUP') };
  const result = await startTeardown(
    {
      registry: registry(),
      cfn: cloudFormation(),
      deleteExpirySchedule: (id) => deleteExpirySchedule(schedule, id),
      terminateCatalogProduct: (environment) => terminateProvisionedProduct(serviceCatalog(), environment),
      clock: systemClock,
      logger,
      config: {
        cfnRoleArn: getStringFromEnv('CFN_ROLE_ARN'),
        maxAttempts: getNumberFromEnv('MAX_TEARDOWN_ATTEMPTS', 3),
      },
    },
    environmentId,
  );
  recordTeardownAttempt();
  return result;
});
