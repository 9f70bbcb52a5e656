import { CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import type { Environment } from '../schemas/environment.js';
import type { CreateStackResult } from '../schemas/workflow.js';
import { ConflictError } from '../shared/errors.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import { createRequestToken } from './ids.js';
import { TAG_ENVIRONMENT_ID, TAG_EXPIRES_AT, TAG_OWNER } from './naming.js';
import { serviceParameters } from './service-parameters.js';
import { resumeIfSettled, type StackWaitDeps, storeWait } from './stack-wait.js';
import { describeStack } from './stacks.js';

export interface ProvisioningConfig {
  /** URL of the versioned prefix holding parent.yaml and its children (BLUEPRINT_BASE_URL). */
  blueprintBaseUrl: string;
  /** Role CloudFormation assumes for the environment's resources (CFN_ROLE_ARN). */
  cfnRoleArn: string;
  /** STACK_TIMEOUT_MINUTES */
  stackTimeoutMinutes: number;
}

export interface ProvisioningDeps extends StackWaitDeps {
  config: ProvisioningConfig;
}

export { createRequestToken } from './ids.js';
export { TAG_ENVIRONMENT_ID, TAG_EXPIRES_AT, TAG_OWNER } from './naming.js';
export { checkStack, environmentOutputs } from './stack-progress.js';

function isAlreadyExists(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'AlreadyExistsException';
}

/**
 * CreateStack (a callback task): stores the task token with the attempt's ClientRequestToken, starts the
 * blueprint's parent stack for a CREATING environment and records its id; the execution then sleeps until the
 * stack's status event resumes it. A stack that already exists (a resumed run) is taken as it is, and when it is
 * already done the task is resumed here (its events are long gone). The stack keeps its resources on failure (no
 * OnFailure=DELETE) so the failure reason can still be read; the teardown path deletes it.
 */
export async function createStack(
  deps: ProvisioningDeps,
  input: { environmentId: string; taskToken: string },
): Promise<CreateStackResult> {
  const { environmentId, taskToken } = input;
  const loaded = await loadEnvironment(deps.registry, environmentId);
  if (loaded.status !== 'CREATING') {
    throw new ConflictError(`environment ${environmentId} is ${loaded.status}, not CREATING`);
  }
  const wait = { operation: 'create', taskToken, requestToken: createRequestToken(environmentId) } as const;
  const environment = await storeWait(deps.registry, loaded, wait);
  const { blueprintBaseUrl, cfnRoleArn, stackTimeoutMinutes } = deps.config;
  let stackId: string | undefined;
  let resumed = false;
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
    resumed = true;
  }
  if (stackId === undefined) throw new Error(`CloudFormation returned no stack id for ${environment.stackName}`);
  try {
    if (environment.stackId !== stackId) await recordStackId(deps.registry, environment, stackId);
  } catch (error) {
    if (error instanceof ConflictError) await deleteIfAbandoned(deps, environmentId, stackId);
    throw error;
  }
  if (resumed) await resumeIfSettled(deps, environmentId, wait);
  return { stackId, stackName: environment.stackName };
}

/**
 * The environment moved on while CreateStack was on its way (a DELETE or a catalog termination, whose teardown found
 * no stack yet, possibly already DELETED): the stack just created belongs to nobody, so it is deleted here rather
 * than left for the sweeper. A teardown still running meets it in its verification and waits for it.
 */
async function deleteIfAbandoned(deps: ProvisioningDeps, environmentId: string, stackId: string): Promise<void> {
  const current = await deps.registry.get(environmentId);
  if (current?.status === 'CREATING') return;
  await deps.cfn.send(new DeleteStackCommand({ StackName: stackId, RoleARN: deps.config.cfnRoleArn }));
}

/** Records the stack id; the stack's event may have stored the outputs meanwhile, so a lost write is redone. */
async function recordStackId(registry: EnvironmentStore, environment: Environment, stackId: string): Promise<void> {
  let current = environment;
  for (let attempt = 1; ; attempt++) {
    try {
      await registry.update(current, { stackId }, ['CREATING']);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 3) throw error;
      current = await loadEnvironment(registry, environment.id);
      if (current.stackId === stackId) return;
    }
  }
}
