import * as z from 'zod/mini';
import { startWorkflow } from '../domain/executions.js';
import { createExpirySchedule, getExpirySchedule } from '../domain/expiry-timer.js';
import { catalogProducts } from '../domain/service-catalog.js';
import { sweep } from '../domain/sweeper.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { scheduler } from '../shared/clients/scheduler.js';
import { serviceCatalog } from '../shared/clients/service-catalog.js';
import { stepFunctions } from '../shared/clients/step-functions.js';
import { systemClock } from '../shared/clock.js';
import { getNumberFromEnv, getOptionalStringFromEnv, getStringFromEnv } from '../shared/env.js';
import { recordSweep } from '../shared/lifecycle-metrics.js';
import { logger } from '../shared/powertools.js';
import { taskHandler } from '../shared/task-handler.js';
import { sweeperRegistry } from './wiring.js';

/** The sweeper (every 5 minutes; at start-up and periodically in local mode) → a summary of its repairs. */
export const handler = taskHandler(z.unknown(), async () => {
  const stateMachineArn = getStringFromEnv('STATE_MACHINE_ARN');
  const timer = {
    scheduler: scheduler(),
    scheduleGroup: getStringFromEnv('SCHEDULE_GROUP'),
    stateMachineArn,
    schedulerRoleArn: getStringFromEnv('SCHEDULER_ROLE_ARN'),
  };
  const summary = await sweep({
    registry: sweeperRegistry(),
    sfn: stepFunctions(),
    cfn: cloudFormation(),
    startWorkflow: (input) => startWorkflow({ sfn: stepFunctions(), stateMachineArn, clock: systemClock }, input),
    expiry: {
      exists: async (id) => (await getExpirySchedule(timer, id)).exists,
      create: (id, expiresAt) => createExpirySchedule(timer, id, expiresAt),
    },
    clock: systemClock,
    logger,
    catalog: catalogProducts(serviceCatalog()),
    config: {
      cfnRoleArn: getOptionalStringFromEnv('CFN_ROLE_ARN'),
      stuckAfterMinutes: getNumberFromEnv('STUCK_AFTER_MINUTES', 60),
    },
  });
  recordSweep({ ...summary }, summary.orphanStacksDeleted);
  return summary;
});
