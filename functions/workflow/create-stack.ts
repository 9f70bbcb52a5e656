import { createStack } from '../domain/provisioning.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { getNumberFromEnv, getStringFromEnv } from '../shared/env.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** CreateStack: starts the environment's parent stack from the blueprint → `CreateStackResult`. */
export const handler = taskHandler(EnvironmentTaskInput, ({ environmentId }) =>
  createStack(
    {
      registry: registry(),
      cfn: cloudFormation(),
      config: {
        blueprintBaseUrl: getStringFromEnv('BLUEPRINT_BASE_URL'),
        cfnRoleArn: getStringFromEnv('CFN_ROLE_ARN'),
        stackTimeoutMinutes: getNumberFromEnv('STACK_TIMEOUT_MINUTES', 30),
      },
    },
    environmentId,
  ),
);
