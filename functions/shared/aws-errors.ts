import { ControlPlaneError } from './errors.js';

/** Error names the AWS SDK uses for throttling, across services. */
const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);
/** Error names and socket codes that mean "the dependency did not answer in time or at all". */
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalServerError',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

interface SdkLikeError {
  name?: string;
  code?: string;
  $fault?: string;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/** Why an AWS call is worth retrying: throttled, or the dependency was unavailable. */
export type RetryableFailure = 'throttled' | 'unavailable';

/**
 * The one classifier of AWS SDK failures: `throttled` for throttling, `unavailable` for 5xx answers, timeouts and
 * dropped connections, undefined for anything else (the control plane's own errors included).
 */
export function retryableFailure(error: unknown): RetryableFailure | undefined {
  if (typeof error !== 'object' || error === null || error instanceof ControlPlaneError) return undefined;
  const e = error as SdkLikeError;
  if (e.$retryable?.throttling || (e.name !== undefined && THROTTLING_NAMES.has(e.name))) return 'throttled';
  if (e.name !== undefined && UNAVAILABLE_NAMES.has(e.name)) return 'unavailable';
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return 'unavailable';
  return e.code !== undefined && NETWORK_CODES.has(e.code) ? 'unavailable' : undefined;
}
