/**
 * The control plane's error hierarchy. `name` is set on every class so that Step Functions
 * `Retry`/`Catch` can match errors by name, and the API maps them to status codes in one place
 * (`functions/shared/http.ts`). Only client errors (< 500) show their message to callers.
 */
export class ControlPlaneError extends Error {
  /** HTTP status the API answers with when this error reaches it. */
  readonly statusCode: number = 500;
  /** Stable, machine-readable code for the `{"error": {"code", "message"}}` body. */
  readonly code: string = 'InternalError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ControlPlaneError {
  override readonly statusCode = 400;
  override readonly code: string = 'BadRequest';
}

/** Input that parsed but does not satisfy a rule (schema, TTL bounds, …). */
export class InputValidationError extends BadRequestError {
  override readonly code = 'ValidationError';
}

export class ForbiddenError extends ControlPlaneError {
  override readonly statusCode = 403;
  override readonly code = 'Forbidden';
}

export class NotFoundError extends ControlPlaneError {
  override readonly statusCode = 404;
  override readonly code = 'NotFound';
}

/** A state transition that the current state does not allow (also: a lost conditional write). */
export class ConflictError extends ControlPlaneError {
  override readonly statusCode = 409;
  override readonly code = 'Conflict';
}

export class PayloadTooLargeError extends ControlPlaneError {
  override readonly statusCode = 413;
  override readonly code = 'PayloadTooLarge';
}

export class UnsupportedMediaTypeError extends ControlPlaneError {
  override readonly statusCode = 415;
  override readonly code = 'UnsupportedMediaType';
}

/** The same Idempotency-Key was sent with a different body. */
export class IdempotencyKeyReusedError extends ControlPlaneError {
  override readonly statusCode = 422;
  override readonly code = 'IdempotencyKeyReused';
}

/** A per-owner or account-capacity limit would be exceeded. The message says which and what to do. */
export class QuotaExceededError extends ControlPlaneError {
  override readonly statusCode = 429;
  override readonly code = 'QuotaExceeded';
}

/** The environment's estimated cost would exceed the platform's limit (maxEstimatedCostUsd). */
export class CostLimitExceededError extends ControlPlaneError {
  override readonly statusCode = 422;
  override readonly code = 'CostLimitExceeded';
}

export class ThrottledError extends ControlPlaneError {
  override readonly statusCode = 429;
  override readonly code = 'Throttled';
}

/** A CloudFormation operation ended in a failed state; the message carries the first failure reasons. */
export class StackOperationFailedError extends ControlPlaneError {
  override readonly code: string = 'StackOperationFailed';
}

/**
 * A DeleteStack attempt ended DELETE_FAILED (the message: the resources that failed to delete). The state
 * machine retries the teardown on it; StartTeardown counts the attempts and gives up with
 * StackOperationFailedError past the maximum.
 */
export class StackDeleteFailedError extends StackOperationFailedError {
  override readonly code = 'StackDeleteFailed';
}

/** Resources tagged with a deleted environment are still present; teardown must not claim DELETED. */
export class ResourcesRemainError extends ControlPlaneError {
  override readonly code = 'ResourcesRemain';
  constructor(
    message: string,
    readonly remaining: readonly string[],
  ) {
    super(message);
  }
}

/** A failure worth retrying (throttling, timeouts, 5xx from a dependency). */
export class TransientError extends ControlPlaneError {
  override readonly statusCode = 503;
  override readonly code = 'Transient';
}

/** Names Step Functions retriers match on; keep in sync with the classes above. */
export const RETRYABLE_ERROR_NAMES = ['TransientError', 'ThrottledError'] as const;
