import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Environment, EnvironmentStatus, StackWait } from '../schemas/environment.js';
import type { CheckStackResult, CheckStackWaitInput, StackStatusChangeEvent } from '../schemas/workflow.js';
import { ConflictError } from '../shared/errors.js';
import { withConflictRetry } from './conflict-retry.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import { createRequestToken, deleteRequestToken, environmentIdOfStack } from './ids.js';
import { checkStack } from './stack-progress.js';
import type { CloudFormationPort } from './stacks.js';
import { truncate } from './stacks.js';

/**
 * Event-driven stack waits (docs/design.md, "Waiting for CloudFormation"). A callback task stores its task token
 * on the environment with the ClientRequestToken of the stack operation it started, and the execution sleeps.
 * CloudFormation's "Stack Status Change" event (or, when none came within the heartbeat, one look at the stack)
 * resumes it: SendTaskSuccess when the operation completed, SendTaskFailure with the stack's reason when it failed.
 */
export type TaskCallbackPort = Pick<SFNClient, 'send'>;

export interface StackWaitDeps {
  registry: EnvironmentStore;
  cfn: CloudFormationPort;
  sfn: TaskCallbackPort;
}

export interface StackEventDeps extends StackWaitDeps {
  logger: { info(message: string, ...extra: Record<string, unknown>[]): void };
}

/**
 * The stack statuses that end a create or a delete (OnFailure=DO_NOTHING ends a failed create CREATE_FAILED; a
 * stack created with rollback ends ROLLBACK_COMPLETE/ROLLBACK_FAILED). The EventBridge rule delivers only these.
 */
export const TERMINAL_STACK_STATUSES = [
  'CREATE_COMPLETE',
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'DELETE_COMPLETE',
  'DELETE_FAILED',
] as const;

/** The statuses an environment has while each kind of wait is meaningful. */
const WAITING_STATUS: Record<StackWait['operation'], readonly EnvironmentStatus[]> = {
  create: ['CREATING'],
  delete: ['DELETING'],
};

/** The error a failed wait ends with; the state machine's Retry/Catch match on it. */
const FAILURE_ERROR: Record<StackWait['operation'], string> = {
  create: 'StackOperationFailedError',
  delete: 'StackDeleteFailedError',
};

/** Step Functions' answers for a token whose task is over (resumed already, timed out, or its execution ended). */
const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export type WaitOutcome = 'resumed' | 'failed' | 'waiting' | 'closed' | 'out-of-date';

/**
 * Stores the wait of an environment (before the stack operation starts, so that no event can precede it). A write
 * that lost to another one while the environment is still waiting (the API storing the execution's ARN just after
 * starting it) is redone on the fresh record, here rather than by a retry of the whole task.
 */
export async function storeWait(
  registry: EnvironmentStore,
  environment: Environment,
  wait: StackWait,
): Promise<Environment> {
  const waiting = WAITING_STATUS[wait.operation];
  let current = environment;
  return withConflictRetry(() => registry.update(current, { wait }, waiting), {
    maxAttempts: 3,
    refresh: async (error) => {
      current = await loadEnvironment(registry, environment.id);
      if (!waiting.includes(current.status)) throw error;
    },
  });
}

/**
 * One look at the stack: resumes the waiting task when the operation is over (on a completed create the outputs
 * are stored first, see `checkStack`); nothing when it is still in progress, or when the stack is no longer (or
 * not yet) in the status an event reported. A token whose task is already
 * over is not an error: delivery is at least once, and the heartbeat check may have resumed it first.
 */
export async function resumeIfSettled(
  deps: StackWaitDeps,
  environmentId: string,
  wait: StackWait,
  reportedStatus?: string,
): Promise<{ outcome: WaitOutcome; check: CheckStackResult }> {
  const check = await checkStack(deps, { environmentId, operation: wait.operation });
  if (check.state === 'IN_PROGRESS') return { outcome: 'waiting', check };
  // No stack yet for a create wait: CreateStack is still on its way (the wait is stored before it starts).
  if (wait.operation === 'create' && check.stackStatus === 'DOES_NOT_EXIST') return { outcome: 'waiting', check };
  // An event acts only on what the stack still is: one that no longer (or not yet) matches is out of date.
  const stillSo =
    reportedStatus === check.stackStatus ||
    (reportedStatus === 'DELETE_COMPLETE' && check.stackStatus === 'DOES_NOT_EXIST');
  if (reportedStatus !== undefined && !stillSo) return { outcome: 'out-of-date', check };
  try {
    if (check.state === 'COMPLETE') {
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: JSON.stringify(check) }));
      return { outcome: 'resumed', check };
    }
    await deps.sfn.send(
      new SendTaskFailureCommand({
        taskToken: wait.taskToken,
        error: FAILURE_ERROR[wait.operation],
        cause: truncate(check.reason ?? `stack is ${check.stackStatus}`),
      }),
    );
    return { outcome: 'failed', check };
  } catch (error) {
    if (CLOSED_TASK_ERRORS.has((error as { name?: string }).name ?? '')) return { outcome: 'closed', check };
    throw error;
  }
}

/**
 * CheckCreate / CheckDelete: no event came within the heartbeat. Stores the new task token (same attempt, same
 * ClientRequestToken), then looks at the stack once: resumes at once when it is done, else waits again (the
 * state's Retry on States.HeartbeatTimeout bounds how often).
 */
export async function checkStackWait(deps: StackWaitDeps, input: CheckStackWaitInput) {
  const environment = await loadEnvironment(deps.registry, input.environmentId);
  const sameOperation = environment.wait?.operation === input.operation ? environment.wait : undefined;
  const wait: StackWait = {
    operation: input.operation,
    taskToken: input.taskToken,
    requestToken:
      sameOperation?.requestToken ??
      (input.operation === 'create'
        ? createRequestToken(environment.id)
        : deleteRequestToken(environment.id, environment.teardown?.attempts ?? 1)),
  };
  await storeWait(deps.registry, environment, wait);
  const { outcome, check } = await resumeIfSettled(deps, environment.id, wait);
  return { outcome, stackStatus: check.stackStatus };
}

/** Why an event was dropped, or what it did. */
export type StackEventOutcome =
  | WaitOutcome
  | 'not-an-environment-stack'
  | 'unknown-environment'
  | 'no-wait'
  | 'stale-attempt'
  | 'not-waiting';

/** Attempts at a stack event whose environment changed meanwhile (a write of the task that started the stack). */
const EVENT_ATTEMPTS = 3;

/**
 * The stack-status event handler's logic: finds the environment the root stack belongs to and resumes its
 * waiting task. Idempotent: an event for another attempt (other ClientRequestToken), for an environment that
 * waits on nothing or has moved on, or whose task is already over, is logged at INFO and dropped.
 */
export async function handleStackStatusChange(
  deps: StackEventDeps,
  event: StackStatusChangeEvent,
): Promise<{ outcome: StackEventOutcome; environmentId?: string }> {
  const stackId = event.detail['stack-id'];
  const status = event.detail['status-details'].status;
  const environmentId = environmentIdOfStack(stackId);
  const drop = (outcome: StackEventOutcome) => {
    deps.logger.info('stack event dropped', { outcome, environmentId, stackId, status });
    return { outcome, ...(environmentId ? { environmentId } : {}) };
  };
  if (environmentId === undefined) return drop('not-an-environment-stack');
  for (let attempt = 1; ; attempt++) {
    const environment = await deps.registry.get(environmentId);
    if (environment === undefined) return drop('unknown-environment');
    const wait = environment.wait;
    if (wait === undefined) return drop('no-wait');
    if ((event.detail['client-request-token'] ?? '') !== wait.requestToken) return drop('stale-attempt');
    if (!WAITING_STATUS[wait.operation].includes(environment.status)) return drop('not-waiting');
    try {
      const { outcome } = await resumeIfSettled(deps, environmentId, wait, status);
      if (outcome !== 'resumed' && outcome !== 'failed') return drop(outcome);
      deps.logger.info('stack event resumed the execution', { outcome, environmentId, stackId, status });
      return { outcome, environmentId };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= EVENT_ATTEMPTS) throw error;
    }
  }
}
