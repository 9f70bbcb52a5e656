import { createStack } from '../domain/provisioning.js';
import { StackWaitInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { stepFunctions } from '../shared/clients/step-functions.js';
import { getNumberFromEnv, getStringFromEnv } from '../shared/env.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** CreateStack (callback task): stores the task token, starts the parent stack from the blueprint. */
export const handler = taskHandler(StackWaitInput, (input) =>
  createStack(
    {
      registry: registry(),
      cfn: cloudFormation(),
      sfn: stepFunctions(),
      config: {
        blueprintBaseUrl: getStringFromEnv('BLUEPRINT_BASE_URL'),
        cfnRoleArn: getStringFromEnv('CFN_ROLE_ARN'),
        stackTimeoutMinutes: getNumberFromEnv('STACK_TIMEOUT_MINUTES', 30),
      },
    },
    input,
  ),
);
