import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FinishTeardownResult, RecordFailureInput, ValidateResult } from '../schemas/workflow.js';
import { metrics } from './powertools.js';
import { CHECK_DIMENSION, METRIC } from './telemetry.js';

/**
 * The lifecycle's custom metrics (names in functions/shared/telemetry.ts), emitted by the handlers from what the
 * domain function returned, so the domain stays free of telemetry. Stored metrics are published by the handler
 * stack after the invocation; the per-check failures are single metrics, each with its own `check` dimension.
 */
export function recordValidation(result: ValidateResult): void {
  if (result.passed && result.secondsToReady !== undefined) {
    metrics.addMetric(METRIC.timeToReady, MetricUnit.Seconds, result.secondsToReady);
  }
  for (const check of result.failedChecks) {
    const single = metrics.singleMetric();
    single.addDimension(CHECK_DIMENSION, check);
    single.addMetric(METRIC.validationCheckFailed, MetricUnit.Count, 1);
  }
}

export function recordTeardownAttempt(): void {
  metrics.addMetric(METRIC.teardownAttempts, MetricUnit.Count, 1);
}

/** An environment that ended FAILED: its teardown could not finish, or it finished after a failed lifecycle. */
export function recordFinishedTeardown(result: FinishTeardownResult): void {
  if (result.status === 'FAILED') metrics.addMetric(METRIC.environmentsFailed, MetricUnit.Count, 1);
}

export function recordFailureRecorded(input: RecordFailureInput, result: { status: string }): void {
  if (input.stage === 'teardown' && result.status === 'FAILED') {
    metrics.addMetric(METRIC.environmentsFailed, MetricUnit.Count, 1);
  }
}

export function recordSweep(summary: Readonly<Record<string, number>>, orphansFound: number): void {
  for (const [name, count] of Object.entries(summary)) metrics.addMetric(`Sweeper.${name}`, MetricUnit.Count, count);
  metrics.addMetric(METRIC.orphansFound, MetricUnit.Count, orphansFound);
}
