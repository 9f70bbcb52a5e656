import { describe, expect, it, vi } from 'vitest';
import { withConflictRetry } from '../../../functions/domain/conflict-retry.js';
import { ConflictError, TransientError } from '../../../functions/shared/errors.js';

describe('withConflictRetry', () => {
  it('retries a lost conditional write on refreshed state and returns the first success', async () => {
    let version = 0;
    const write = vi.fn(async () => {
      if (version < 2) throw new ConflictError(`version ${version} is stale`);
      return `written at ${version}`;
    });
    const refresh = vi.fn(async (_error: ConflictError, _attempt: number) => {
      version += 1;
    });

    const result = await withConflictRetry(write, { maxAttempts: 3, refresh });

    expect(result).toBe('written at 2');
    expect(write).toHaveBeenCalledTimes(3);
    expect(refresh.mock.calls.map(([, attempt]) => attempt)).toEqual([1, 2]);
  });

  it('throws the last conflict after maxAttempts, without a refresh after it', async () => {
    const write = vi.fn(async () => {
      throw new ConflictError('always stale');
    });
    const refresh = vi.fn(async () => {});

    await expect(withConflictRetry(write, { maxAttempts: 3, refresh })).rejects.toThrow('always stale');
    expect(write).toHaveBeenCalledTimes(3);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('does not retry other errors', async () => {
    const write = vi.fn(async () => {
      throw new TransientError('dependency down');
    });
    const refresh = vi.fn(async () => {});

    await expect(withConflictRetry(write, { maxAttempts: 3, refresh })).rejects.toBeInstanceOf(TransientError);
    expect(write).toHaveBeenCalledTimes(1);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('ends the retries with what refresh throws (the fresh state no longer allows the write)', async () => {
    const write = vi.fn(async () => {
      throw new ConflictError('stale');
    });
    const refresh = async () => {
      throw new ConflictError('environment is DELETED now');
    };

    await expect(withConflictRetry(write, { maxAttempts: 3, refresh })).rejects.toThrow('DELETED now');
    expect(write).toHaveBeenCalledTimes(1);
  });
});
