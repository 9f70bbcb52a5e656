import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../../functions/domain/registry.js';
import { retryableFailure } from '../../../functions/shared/aws-errors.js';
import { ConflictError, ThrottledError, TransientError } from '../../../functions/shared/errors.js';
import { isTransientFailure } from '../../../functions/shared/task-handler.js';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...extra });

describe('one classifier of AWS failures', () => {
  it.each([
    ['ThrottlingException', named('ThrottlingException'), 'throttled'],
    ['ProvisionedThroughputExceededException', named('ProvisionedThroughputExceededException'), 'throttled'],
    ['SlowDown', named('SlowDown'), 'throttled'],
    ['$retryable.throttling', named('Whatever', { $retryable: { throttling: true } }), 'throttled'],
    ['InternalServerError', named('InternalServerError'), 'unavailable'],
    ['TimeoutError', named('TimeoutError'), 'unavailable'],
    ['a server fault', named('Boom', { $fault: 'server' }), 'unavailable'],
    ['a 503', named('Boom', { $metadata: { httpStatusCode: 503 } }), 'unavailable'],
    ['a reset connection', Object.assign(new Error('socket'), { code: 'ECONNRESET' }), 'unavailable'],
    ['a client fault', named('ValidationException', { $fault: 'client' }), undefined],
    ["the control plane's own error", new ConflictError('changed meanwhile'), undefined],
    ['not an object', 'oops', undefined],
  ])('%s → %s', (_label, error, expected) => {
    expect(retryableFailure(error)).toBe(expected);
  });

  it('the registry and the task wrapper agree with it', () => {
    const cases = [named('RequestLimitExceeded'), named('ServiceUnavailable'), named('ValidationException')];
    for (const error of cases) {
      const failure = retryableFailure(error);
      expect(isTransientFailure(error)).toBe(failure !== undefined);
      const thrown = (() => {
        try {
          translateAwsError(error, 'op');
        } catch (e) {
          return e;
        }
      })();
      const expected = failure === 'throttled' ? ThrottledError : failure === 'unavailable' ? TransientError : Error;
      expect(thrown).toBeInstanceOf(expected);
      if (failure === undefined) expect(thrown).toBe(error);
    }
  });
});
