import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { GetResourcesCommand, type ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import {
  type Environment,
  type EnvironmentStatus,
  FINAL_STATUSES,
  type TeardownReceipt,
} from '../schemas/environment.js';
import type { FinishTeardownResult, StartTeardownResult } from '../schemas/workflow.js';
import { ConflictError, ResourcesRemainError, StackOperationFailedError } from '../shared/errors.js';
import { withConflictRetry } from './conflict-retry.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import { deleteRequestToken } from './ids.js';
import type { Clock } from './ports.js';
import { TAG_ENVIRONMENT_ID } from './provisioning.js';
import { resumeIfSettled, type TaskCallbackPort } from './stack-wait.js';
import { type CloudFormationPort, describeStack } from './stacks.js';

interface TeardownBaseDeps {
  registry: EnvironmentStore;
  cfn: CloudFormationPort;
  clock: Clock;
}

export interface StartTeardownDeps extends TeardownBaseDeps {
  sfn: TaskCallbackPort;
  /** Deletes the environment's expiry schedule (a missing schedule counts as deleted). */
  deleteExpirySchedule(environmentId: string): Promise<void>;
  /**
   * Terminates the environment's Service Catalog provisioned product, if it came from the catalog
   * (service-catalog.ts `terminateProvisionedProduct`). Absent: nothing to terminate.
   */
  terminateCatalogProduct?(environment: Environment): Promise<unknown>;
  /** Says when a failed delete is retried (expected: one WARN line). @default silent */
  logger?: { warn(message: string, extra: Record<string, unknown>): void };
  config: {
    /** CFN_ROLE_ARN */
    cfnRoleArn: string;
    /** MAX_TEARDOWN_ATTEMPTS */
    maxAttempts: number;
  };
}

export interface FinishTeardownDeps extends TeardownBaseDeps {
  tagging: Pick<ResourceGroupsTaggingAPIClient, 'send'>;
}

/** Statuses a teardown may start from; DELETING again when CheckDelete reported a failed delete. */
export const TEARDOWN_FROM: readonly EnvironmentStatus[] = ['CREATING', 'VALIDATING', 'READY', 'DELETING'];

export { deleteRequestToken };

function receipt(environment: Environment, now: Date, changes: Partial<TeardownReceipt>): TeardownReceipt {
  return {
    stackStatus: environment.teardown?.stackStatus ?? 'UNKNOWN',
    checkedAt: now.toISOString(),
    remaining: environment.teardown?.remaining ?? [],
    attempts: environment.teardown?.attempts ?? 0,
    ...changes,
  };
}

/**
 * StartTeardown (a callback task): starts (or retries) deleting an environment. One write records DELETING (a
 * provisioning failure keeps its reason), the attempt and the wait (the task token with the attempt's
 * ClientRequestToken); then the expiry schedule is removed and DeleteStack runs with the CloudFormation role, and
 * the execution sleeps until the stack's DELETE_COMPLETE/DELETE_FAILED event resumes it. A stack already gone
 * resumes it here. Attempts (DeleteStack calls after DELETE_FAILED) are counted on the environment; past
 * MAX_TEARDOWN_ATTEMPTS it gives up with StackOperationFailedError.
 */
export async function startTeardown(
  deps: StartTeardownDeps,
  input: { environmentId: string; taskToken: string },
): Promise<StartTeardownResult> {
  const { environmentId, taskToken } = input;
  const environment = await loadEnvironment(deps.registry, environmentId);
  if (FINAL_STATUSES.includes(environment.status)) {
    // Another teardown (schedule, API DELETE or sweeper) already finished it.
    throw new ConflictError(`environment ${environmentId} is already ${environment.status}`);
  }
  const stack = await describeStack(deps.cfn, environment.stackId ?? environment.stackName);
  const stackStatus = stack?.StackStatus ?? 'DOES_NOT_EXIST';
  // A new attempt after a failed delete; a run retried before its DeleteStack reached CloudFormation (throttling)
  // is the same attempt, with the same ClientRequestToken.
  const previous = environment.teardown?.attempts ?? 0;
  const attempt = previous === 0 || stackStatus === 'DELETE_FAILED' ? previous + 1 : previous;
  if (attempt > deps.config.maxAttempts) {
    // CloudFormation's status reason names the resources that failed to delete ("The following resource(s) …").
    const why = stack?.StackStatusReason ? `: ${stack.StackStatusReason.trim()}` : '';
    throw new StackOperationFailedError(
      `stack ${environment.stackName} could not be deleted in ${deps.config.maxAttempts} attempts (last status ${stackStatus}${why})`,
    );
  }
  if (stackStatus === 'DELETE_FAILED') {
    deps.logger?.warn('stack delete failed; deleting it again', {
      environmentId,
      attempt,
      maxAttempts: deps.config.maxAttempts,
      reason: stack?.StackStatusReason?.trim() ?? 'DELETE_FAILED',
    });
  }
  const wait = { operation: 'delete', taskToken, requestToken: deleteRequestToken(environmentId, attempt) } as const;
  // A write that lost to the API storing this execution's ARN (just after starting it) is redone on the fresh record
  // while nothing the teardown reads has changed; anything else is a real conflict.
  let current = environment;
  const deleting = await withConflictRetry(
    () =>
      deps.registry.update(
        current,
        { status: 'DELETING', wait, teardown: receipt(current, deps.clock.now(), { stackStatus, attempts: attempt }) },
        TEARDOWN_FROM,
      ),
    {
      maxAttempts: 3,
      refresh: async (error) => {
        current = await loadEnvironment(deps.registry, environmentId);
        const unchanged = (current.teardown?.attempts ?? 0) === previous && current.stackId === environment.stackId;
        if (!TEARDOWN_FROM.includes(current.status) || !unchanged) throw error;
      },
    },
  );
  await deps.deleteExpirySchedule(environmentId);
  if (stack !== undefined && stackStatus !== 'DELETE_COMPLETE') {
    await deps.cfn.send(
      new DeleteStackCommand({
        StackName: stack.StackId ?? environment.stackName,
        RoleARN: deps.config.cfnRoleArn,
        ClientRequestToken: wait.requestToken,
      }),
    );
  } else {
    // Nothing to delete, so no event will come.
    await resumeIfSettled(deps, environmentId, wait);
  }
  // Every teardown (expiry, DELETE, catalog termination, failure) ends the catalog's provisioned product too.
  await deps.terminateCatalogProduct?.(deleting);
  return { attempt, stackStatus };
}

/** Every ARN still tagged `dsenv:environment-id = <id>` (all pages). */
export async function taggedResources(
  tagging: FinishTeardownDeps['tagging'],
  environmentId: string,
): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const output = await tagging.send(
      new GetResourcesCommand({
        TagFilters: [{ Key: TAG_ENVIRONMENT_ID, Values: [environmentId] }],
        PaginationToken: token,
      }),
    );
    arns.push(...(output.ResourceTagMappingList ?? []).flatMap((m) => (m.ResourceARN ? [m.ResourceARN] : [])));
    token = output.PaginationToken || undefined;
  } while (token !== undefined);
  return arns;
}

/** Longest list of ARNs spelled out in an error message. */
const MAX_NAMED = 10;

/**
 * Verifies that nothing tagged with the environment remains after the stack is deleted, stores the receipt and
 * ends the lifecycle: DELETED, or FAILED when provisioning had failed. Anything left → ResourcesRemainError
 * naming the ARNs (the state machine retries with backoff; the receipt keeps the list).
 */
export async function finishTeardown(deps: FinishTeardownDeps, environmentId: string): Promise<FinishTeardownResult> {
  const environment = await loadEnvironment(deps.registry, environmentId);
  // Two teardowns can overlap (expiry schedule and API DELETE): the one that finished first settled it.
  if (environment.status === 'DELETED' || environment.status === 'FAILED') return { status: environment.status };
  const remaining = await taggedResources(deps.tagging, environmentId);
  const now = deps.clock.now();
  const stack = environment.stackId ? await describeStack(deps.cfn, environment.stackId) : undefined;
  const stackStatus = stack?.StackStatus ?? 'DOES_NOT_EXIST';
  if (remaining.length > 0) {
    // Best effort: a concurrent writer (an overlapping teardown) must not turn "retry later" into a failure.
    await deps.registry
      .update(environment, { teardown: receipt(environment, now, { stackStatus, remaining }) }, ['DELETING'])
      .catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
    const named = remaining.slice(0, MAX_NAMED).join(', ');
    const more = remaining.length > MAX_NAMED ? ` and ${remaining.length - MAX_NAMED} more` : '';
    throw new ResourcesRemainError(
      `${remaining.length} resource(s) tagged ${TAG_ENVIRONMENT_ID}=${environmentId} remain: ${named}${more}`,
      remaining,
    );
  }
  const status = environment.failureReason ? 'FAILED' : 'DELETED';
  const teardown = receipt(environment, now, { stackStatus, remaining: [], deletedAt: now.toISOString() });
  await deps.registry.update(environment, { status, teardown }, ['DELETING']);
  return { status };
}
