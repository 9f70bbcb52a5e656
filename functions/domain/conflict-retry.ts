import { ConflictError } from '../shared/errors.js';

export interface ConflictRetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /**
   * Called after attempt `attempt` lost its conditional write (and another attempt follows): re-reads the state the
   * next attempt writes from. What it throws ends the retries (e.g. the fresh state no longer allows the write).
   */
  refresh: (error: ConflictError, attempt: number) => Promise<void>;
}

/**
 * Optimistic locking: runs `write` and, while it fails with a ConflictError (a lost conditional write), refreshes
 * and runs it again, up to `maxAttempts` in all. Any other error, or the last conflict, is thrown as it is.
 */
export async function withConflictRetry<T>(write: () => Promise<T>, options: ConflictRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= options.maxAttempts) throw error;
      await options.refresh(error, attempt);
    }
  }
}
