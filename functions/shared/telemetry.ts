/**
 * The names the control plane's telemetry is published under, in one place: the functions emit with them
 * (functions/shared/powertools.ts) and the alarms and dashboard read them (control-plane/constructs/monitoring.ts).
 * No Powertools import here, so the CDK app can read the names without building a logger.
 */

/** Powertools service name: the `service` key of every log line and the `service` dimension of every metric. */
export const SERVICE_NAME = 'dsenv-control-plane';

/** CloudWatch namespace of the custom metrics (Embedded Metric Format, written to the functions' logs). */
export const METRICS_NAMESPACE = 'dsenv';

/** The dimension Powertools adds to every metric (its default dimension, the service name). */
export const SERVICE_DIMENSION = { service: SERVICE_NAME } as const;

/** Custom metrics and where they are emitted. */
export const METRIC = {
  /** Seconds from the create request to READY (validate-environment, when every check passed). */
  timeToReady: 'TimeToReady',
  /** One per failed check of a validation, with a `check` dimension naming it (validate-environment). */
  validationCheckFailed: 'ValidationCheckFailed',
  /** One per DeleteStack attempt of a teardown (start-teardown). */
  teardownAttempts: 'TeardownAttempts',
  /** One per environment whose lifecycle failed, recorded as FAILED (record-failure). */
  environmentsFailed: 'EnvironmentsFailed',
  /** Stacks the sweeper found without a live record, and deleted (sweeper). */
  orphansFound: 'OrphansFound',
  /** API answers with a 5xx / 4xx status (every API handler). */
  serverErrors: 'ServerErrors',
  clientErrors: 'ClientErrors',
} as const;

/** The dimension of `METRIC.validationCheckFailed`. */
export const CHECK_DIMENSION = 'check';
