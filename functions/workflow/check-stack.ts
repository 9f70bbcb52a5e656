import { checkStackWait } from '../domain/stack-wait.js';
import { CheckStackWaitInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { stepFunctions } from '../shared/clients/step-functions.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/**
 * CheckCreate / CheckDelete (callback tasks, run when no stack event came within the heartbeat): stores the new
 * task token and looks at the stack once; resumes the execution at once when the operation is over.
 */
export const handler = taskHandler(CheckStackWaitInput, (input) =>
  checkStackWait({ registry: registry(), cfn: cloudFormation(), sfn: stepFunctions() }, input),
);
