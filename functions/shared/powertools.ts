import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from './telemetry.js';

/**
 * Logger and metrics are built once per process and shared by every handler. The service name and the
 * metrics namespace are the constructor arguments (functions/shared/telemetry.ts): Powertools prefers them to
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, which the house function sets to the same values only
 * for tools that read the variables. Log level, tracing and metrics on/off do come from the environment.
 * Per-invocation keys (`appendKeys`) stay with their invocation even when invocations overlap in one process
 * (local mode runs each one in its own Lambda invoke store; see local/lambda-runtime.ts).
 *
 * Tracing is Lambda's active tracing, without an X-Ray SDK in the function (docs/lambda-bundles.md): every log line
 * carries the invocation's trace as `xray_trace_id` (the Logger reads it from Lambda).
 */
export const serviceName = SERVICE_NAME;
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: METRICS_NAMESPACE });
