import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowInput } from '../schemas/workflow.js';
import { executionName } from './naming.js';
import type { Clock } from './ports.js';
import { translateAwsError } from './registry.js';

export interface ExecutionDeps {
  sfn: Pick<SFNClient, 'send'>;
  stateMachineArn: string;
  clock: Clock;
}

export { executionName };

/** Starts the lifecycle state machine for one environment and returns the execution ARN. */
export async function startWorkflow(deps: ExecutionDeps, input: WorkflowInput): Promise<string> {
  try {
    const { executionArn } = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: executionName(input, deps.clock.now()),
        input: JSON.stringify(input),
      }),
    );
    if (executionArn === undefined) throw new Error('StartExecution returned no executionArn');
    return executionArn;
  } catch (error) {
    return translateAwsError(error, `start ${input.action} execution`);
  }
}
