import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { retryableFailure } from './aws-errors.js';
import { correlate, taskCorrelation } from './correlation.js';
import { getOptionalStringFromEnv } from './env.js';
import { ControlPlaneError, InputValidationError, RETRYABLE_ERROR_NAMES, TransientError } from './errors.js';
import { logger, metrics } from './powertools.js';

/** True for SDK throttling, 5xx answers, timeouts and dropped connections: worth a Step Functions Retry. */
export function isTransientFailure(error: unknown): boolean {
  return retryableFailure(error) !== undefined;
}

/**
 * The error a task throws: the control plane's own errors as they are (their `name` is what Step Functions
 * matches), transient dependency failures as `TransientError`, anything else unchanged.
 */
export function toTaskError(error: unknown): unknown {
  if (isTransientFailure(error)) {
    const e = error as Error;
    return new TransientError(`${e.name}: ${e.message}`, { cause: error });
  }
  return error;
}

/** Parses a task's input with its schema; a mismatch is the caller's fault and is not retried. */
export function parseTaskInput<S extends z.ZodMiniType>(schema: S, event: unknown): z.infer<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    throw new InputValidationError(`invalid task input: ${issues}`);
  }
  return parsed.data;
}

/**
 * Powertools' `logMetrics`, except when metrics are disabled (POWERTOOLS_METRICS_DISABLED, local mode): then the
 * stored metrics are dropped without a word, where Powertools would warn "No application metrics to publish" on
 * every invocation.
 */
export function logMetricsUnlessDisabled(): MiddlewareObj {
  const publishing = logMetrics(metrics);
  // Read per invocation, as Powertools reads it: `true`, `1`, `yes`, `on` disable metrics.
  const disabled = () =>
    /^(true|1|yes|on)$/i.test(getOptionalStringFromEnv('POWERTOOLS_METRICS_DISABLED')?.trim() ?? '');
  const drop = () => {
    metrics.clearMetrics();
  };
  return {
    before: (request) => (disabled() ? undefined : publishing.before?.(request)),
    after: (request) => (disabled() ? drop() : publishing.after?.(request)),
    onError: (request) => (disabled() ? drop() : publishing.onError?.(request)),
  };
}

/**
 * Errors the state machine handles as part of a healthy lifecycle: retried (throttling, transient failures, a lost
 * conditional write, resources still being released) or routed (a conflict that persists means another execution
 * owns the environment). They are no operator's business: one WARN line with the reason, no stack.
 */
const EXPECTED_TASK_ERRORS: ReadonlySet<string> = new Set([
  ...RETRYABLE_ERROR_NAMES,
  'ConflictError',
  'ResourcesRemainError',
]);

/** WARN, one line, for an expected error; ERROR with the stack for anything an operator must look at. */
export function logTaskFailure(error: unknown): void {
  const name = (error as Error | undefined)?.name;
  if (error instanceof ControlPlaneError && EXPECTED_TASK_ERRORS.has(error.name)) {
    logger.warn(`task failed with ${name}; the state machine retries or routes it`, {
      errorName: name,
      reason: error.message,
    });
    return;
  }
  logger.error('task failed', { error: error as Error });
}

/**
 * The standard middy stack of every state-machine task (and of the sweeper and the IPv6 prober):
 * Powertools logger context and metrics; the environment id and execution ARN of the input on every log line;
 * Zod parsing of the input; errors re-thrown by `name`.
 */
export function taskHandler<S extends z.ZodMiniType, R>(
  schema: S,
  run: (input: z.infer<S>, context: Context) => Promise<R>,
) {
  return middy(async (event: unknown, context: Context): Promise<R> => {
    correlate(taskCorrelation(event));
    try {
      const result = await run(parseTaskInput(schema, event), context);
      logger.info('task finished');
      return result;
    } catch (error) {
      const thrown = toTaskError(error);
      logTaskFailure(thrown);
      throw thrown;
    }
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetricsUnlessDisabled());
}
