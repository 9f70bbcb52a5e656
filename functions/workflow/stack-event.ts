import { handleStackStatusChange } from '../domain/stack-wait.js';
import { StackStatusChangeEvent } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { stepFunctions } from '../shared/clients/step-functions.js';
import { logger } from '../shared/powertools.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/**
 * Target of the EventBridge rule on CloudFormation's "Stack Status Change" events of the environments' root
 * stacks (terminal statuses only): resumes the execution waiting on that stack operation. Duplicates, late
 * events and events of an older attempt are logged and dropped.
 */
export const handler = taskHandler(StackStatusChangeEvent, (event) =>
  handleStackStatusChange({ registry: registry(), cfn: cloudFormation(), sfn: stepFunctions(), logger }, event),
);
