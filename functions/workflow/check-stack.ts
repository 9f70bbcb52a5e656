import { checkStack } from '../domain/provisioning.js';
import { CheckStackInput } from '../schemas/workflow.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** CheckCreate / CheckDelete: progress of the stack operation → `CheckStackResult` (stores outputs on create). */
export const handler = taskHandler(CheckStackInput, (input) =>
  checkStack({ registry: registry(), cfn: cloudFormation() }, input),
);
