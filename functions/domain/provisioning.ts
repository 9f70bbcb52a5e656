import { CreateStackCommand, type Output, type Stack } from '@aws-sdk/client-cloudformation';
import type { EnvironmentOutputs } from '../schemas/environment.js';
import type { CheckStackInput, CheckStackResult, CreateStackResult } from '../schemas/workflow.js';
import { ConflictError } from '../shared/errors.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import { serviceParameters } from './service-parameters.js';
import { type CloudFormationPort, describeStack, stackFailureReason } from './stacks.js';

export interface ProvisioningConfig {
  /** URL of the versioned prefix holding parent.yaml and its children (BLUEPRINT_BASE_URL). */
  blueprintBaseUrl: string;
  /** Role CloudFormation assumes for the environment's resources (CFN_ROLE_ARN). */
  cfnRoleArn: string;
  /** STACK_TIMEOUT_MINUTES */
  stackTimeoutMinutes: number;
}

export interface ProvisioningDeps {
  registry: EnvironmentStore;
  cfn: CloudFormationPort;
  config: ProvisioningConfig;
}

export const TAG_ENVIRONMENT_ID = 'dsenv:environment-id';
export const TAG_OWNER = 'dsenv:owner';
export const TAG_EXPIRES_AT = 'dsenv:expires-at';

/** Stable for an environment: a retried or resumed CreateStack is recognised by CloudFormation, never doubled. */
export function createRequestToken(environmentId: string): string {
  return `${environmentId}-create-1`;
}

function isAlreadyExists(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'AlreadyExistsException';
}

/**
 * Starts the blueprint's parent stack for a CREATING environment and records its id. A stack that already exists
 * (a resumed run) is taken as it is. The stack keeps its resources on failure (no OnFailure=DELETE) so the
 * failure reason can still be read; the teardown path deletes it.
 */
export async function createStack(deps: ProvisioningDeps, environmentId: string): Promise<CreateStackResult> {
  const environment = await loadEnvironment(deps.registry, environmentId);
  if (environment.status !== 'CREATING') {
    throw new ConflictError(`environment ${environmentId} is ${environment.status}, not CREATING`);
  }
  const { blueprintBaseUrl, cfnRoleArn, stackTimeoutMinutes } = deps.config;
  let stackId: string | undefined;
  try {
    const output = await deps.cfn.send(
      new CreateStackCommand({
        StackName: environment.stackName,
        TemplateURL: `${blueprintBaseUrl}/parent.yaml`,
        ClientRequestToken: createRequestToken(environmentId),
        Parameters: [
          { ParameterKey: 'EnvironmentId', ParameterValue: environment.id },
          { ParameterKey: 'ImageUri', ParameterValue: environment.imageUri },
          { ParameterKey: 'TemplateBaseUrl', ParameterValue: blueprintBaseUrl },
          ...serviceParameters(environment.service),
        ],
        Tags: [
          { Key: TAG_ENVIRONMENT_ID, Value: environment.id },
          { Key: TAG_OWNER, Value: environment.owner },
          { Key: TAG_EXPIRES_AT, Value: environment.expiresAt },
        ],
        TimeoutInMinutes: stackTimeoutMinutes,
        RoleARN: cfnRoleArn,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        OnFailure: 'DO_NOTHING',
      }),
    );
    stackId = output.StackId;
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    stackId = (await describeStack(deps.cfn, environment.stackName))?.StackId;
  }
  if (stackId === undefined) throw new Error(`CloudFormation returned no stack id for ${environment.stackName}`);
  if (environment.stackId !== stackId) await deps.registry.update(environment, { stackId }, ['CREATING']);
  return { stackId, stackName: environment.stackName };
}

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
  deps: Pick<ProvisioningDeps, 'registry' | 'cfn'>,
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
    await deps.registry.update(environment, { outputs: environmentOutputs(stack, environment.outputs) }, ['CREATING']);
  }
  if (state !== 'FAILED') return { state, stackStatus };
  if (input.operation === 'delete' && stackStatus !== 'DELETE_FAILED') {
    return { state, stackStatus, reason: `stack ${environment.stackName} is ${stackStatus}, not being deleted` };
  }
  const reason =
    (stack.StackId ? await stackFailureReason(deps.cfn, stack.StackId) : undefined) ??
    stack.StackStatusReason ??
    `stack ${environment.stackName} is ${stackStatus}`;
  return { state, stackStatus, reason };
}
