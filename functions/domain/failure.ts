import type { Environment } from '../schemas/environment.js';
import type { RecordFailureInput } from '../schemas/workflow.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import { truncate } from './stacks.js';

export interface FailureDeps {
  registry: EnvironmentStore;
}

export interface RecordFailureResult {
  status: Environment['status'];
  failureReason: string;
}

/**
 * A safe one-line summary of an error a Catch caught: the error name and, for a Lambda error, its message
 * (never the stack trace).
 */
export function summariseCaughtError(error: NonNullable<RecordFailureInput['error']>): string {
  if (error.Cause === undefined || error.Cause === '') return error.Error;
  try {
    const cause = JSON.parse(error.Cause) as { errorType?: string; errorMessage?: string };
    if (typeof cause.errorMessage === 'string') return `${cause.errorType ?? error.Error}: ${cause.errorMessage}`;
  } catch {
    // a plain-text cause (States.Timeout, States.TaskFailed, …)
  }
  return `${error.Error}: ${error.Cause.split('\n')[0]}`;
}

function failedChecksSummary(environment: Environment): string | undefined {
  const notPassed = (environment.validation?.checks ?? []).filter((c) => c.status !== 'passed');
  if (notPassed.length === 0) return undefined;
  return `validation failed: ${notPassed.map((c) => `${c.name} ${c.status} (${c.detail})`).join('; ')}`;
}

function reasonFor(input: RecordFailureInput, environment: Environment): string {
  const stageLabel = { create: 'provisioning failed', validate: 'validation failed', teardown: 'teardown failed' }[
    input.stage
  ];
  if (input.stage === 'teardown' && input.reason && input.error) {
    // A teardown that gave up (the error: "could not be deleted in N attempts") after a failed delete (the reason:
    // the stack events naming the resources that failed to delete) keeps both; a reason the environment already
    // records (a provisioning failure whose check preceded the cleanup) is not repeated.
    const error = summariseCaughtError(input.error);
    if (environment.failureReason?.includes(input.reason)) return `${stageLabel}: ${error}`;
    return `${stageLabel}: ${error}; stack events: ${input.reason}`;
  }
  if (input.reason) return `${stageLabel}: ${input.reason}`;
  if (input.stage === 'validate')
    return failedChecksSummary(environment) ?? `${stageLabel}: no check result was stored`;
  if (input.error) return `${stageLabel}: ${summariseCaughtError(input.error)}`;
  return `${stageLabel}: no reason given`;
}

/**
 * Records why the lifecycle failed. During provisioning (create/validate) the status is left for the cleanup path
 * (StartTeardown), which keeps the reason and ends FAILED. A failed teardown ends FAILED here, naming the
 * resources still tagged with the environment.
 */
export async function recordFailure(deps: FailureDeps, input: RecordFailureInput): Promise<RecordFailureResult> {
  const environment = await loadEnvironment(deps.registry, input.environmentId);
  let reason = reasonFor(input, environment);
  if (environment.status === 'FAILED' || environment.status === 'DELETED') {
    // Already final (another execution finished it): keep what it recorded.
    return { status: environment.status, failureReason: environment.failureReason ?? truncate(reason) };
  }
  if (input.stage !== 'teardown') {
    const failureReason = truncate(reason);
    await deps.registry.update(environment, { failureReason }, [environment.status]);
    return { status: environment.status, failureReason };
  }
  const remaining = environment.teardown?.remaining ?? [];
  if (remaining.length > 0 && !reason.includes(remaining[0] as string)) {
    reason = `${reason}; still present: ${remaining.join(', ')}`;
  }
  // A provisioning failure stays first: it is why the environment never became usable.
  const failureReason = truncate(
    environment.failureReason ? `${environment.failureReason}; then ${reason}` : reason,
    2_000,
  );
  await deps.registry.update(environment, { status: 'FAILED', failureReason }, [environment.status]);
  return { status: 'FAILED', failureReason };
}
