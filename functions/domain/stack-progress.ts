import type { Output, Stack } from '@aws-sdk/client-cloudformation';
import type { Environment, EnvironmentOutputs } from '../schemas/environment.js';
import type { CheckStackInput, CheckStackResult } from '../schemas/workflow.js';
import { ConflictError } from '../shared/errors.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import { type CloudFormationPort, describeStack, stackFailureReason } from './stacks.js';

function outputValue(outputs: readonly Output[], key: string): string | undefined {
  return outputs.find((o) => o.OutputKey === key)?.OutputValue;
}

function splitIds(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/** The parent stack's outputs (design.md, "The blueprint's interface") as the environment stores them. */
export function environmentOutputs(stack: Stack, previous: EnvironmentOutputs = {}): EnvironmentOutputs {
  const outputs = stack.Outputs ?? [];
  const mapped: EnvironmentOutputs = {
    publicUri: outputValue(outputs, 'PublicURI'),
    vpcId: outputValue(outputs, 'VpcId'),
    publicSubnetIds: splitIds(outputValue(outputs, 'PublicSubnetIds')),
    privateSubnetIds: splitIds(outputValue(outputs, 'PrivateSubnetIds')),
    loadBalancerArn: outputValue(outputs, 'LoadBalancerArn'),
    clusterName: outputValue(outputs, 'ClusterName'),
    serviceName: outputValue(outputs, 'ServiceName'),
  };
  const defined = Object.fromEntries(Object.entries(mapped).filter(([, v]) => v !== undefined));
  return { ...previous, ...defined };
}

type Progress = CheckStackResult['state'];

function createProgress(status: string): Progress {
  if (status === 'CREATE_COMPLETE') return 'COMPLETE';
  // ROLLBACK_IN_PROGRESS waits too: the reasons are complete once the rollback is.
  if (status.endsWith('_IN_PROGRESS')) return 'IN_PROGRESS';
  return 'FAILED';
}

function deleteProgress(status: string): Progress {
  if (status === 'DELETE_COMPLETE') return 'COMPLETE';
  if (status.endsWith('_IN_PROGRESS')) return 'IN_PROGRESS';
  return 'FAILED';
}

/**
 * Progress of the environment's stack operation. On CREATE_COMPLETE the outputs are stored on the environment;
 * on failure `reason` carries the first failed events of the stack and its nested stacks. For a delete, a stack
 * CloudFormation no longer knows counts as deleted.
 */
export async function checkStack(
  deps: { registry: EnvironmentStore; cfn: CloudFormationPort },
  input: CheckStackInput,
): Promise<CheckStackResult> {
  const environment = await loadEnvironment(deps.registry, input.environmentId);
  const stack = await describeStack(deps.cfn, environment.stackId ?? environment.stackName);
  if (stack === undefined) {
    return input.operation === 'delete'
      ? { state: 'COMPLETE', stackStatus: 'DOES_NOT_EXIST' }
      : { state: 'FAILED', stackStatus: 'DOES_NOT_EXIST', reason: `stack ${environment.stackName} does not exist` };
  }
  const stackStatus = stack.StackStatus ?? 'UNKNOWN';
  const state = input.operation === 'create' ? createProgress(stackStatus) : deleteProgress(stackStatus);
  if (state === 'COMPLETE' && input.operation === 'create') {
    await recordCreate(deps.registry, environment, {
      outputs: environmentOutputs(stack, environment.outputs),
      stack: { status: stackStatus },
    });
  }
  if (state !== 'FAILED') return { state, stackStatus };
  if (input.operation === 'delete' && stackStatus !== 'DELETE_FAILED') {
    return { state, stackStatus, reason: `stack ${environment.stackName} is ${stackStatus}, not being deleted` };
  }
  const reason =
    (stack.StackId ? await stackFailureReason(deps.cfn, stack.StackId) : undefined) ??
    stack.StackStatusReason ??
    `stack ${environment.stackName} is ${stackStatus}`;
  if (input.operation === 'create') {
    // For the timeline only: a record changed meanwhile must not keep the failure from being reported.
    await recordCreate(deps.registry, environment, { stack: { status: stackStatus, reason } }).catch((error) => {
      if (!(error instanceof ConflictError)) throw error;
    });
  }
  return { state, stackStatus, reason };
}

/**
 * Stores how the create ended (the outputs, the stack's status and a failure's reasons, which the timeline shows)
 * while the environment is still CREATING (else ConflictError). Idempotent: a duplicated event finds them stored
 * and writes nothing.
 */
async function recordCreate(
  registry: EnvironmentStore,
  environment: Environment,
  changes: Pick<Environment, 'stack'> & Partial<Pick<Environment, 'outputs'>>,
): Promise<void> {
  const changed = Object.entries(changes).some(
    ([key, value]) => JSON.stringify(environment[key as keyof Environment]) !== JSON.stringify(value),
  );
  if (changed) await registry.update(environment, changes, ['CREATING']);
}
