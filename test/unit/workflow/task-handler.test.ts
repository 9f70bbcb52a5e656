import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, TransientError } from '../../../functions/shared/errors.js';
import { isTransientFailure, taskHandler } from '../../../functions/shared/task-handler.js';
import { lambdaContext, setWorkflowEnvironment } from './lambda-context.js';

setWorkflowEnvironment();
const failWith = (error: unknown) =>
  taskHandler(z.object({ environmentId: z.string() }), async () => Promise.reject(error));
const event = { environmentId: 'env-3k9x0q2m7ab1' };

describe('taskHandler', () => {
  it('maps SDK throttling to TransientError so the state machine retries it', async () => {
    const throttled = new CloudFormationServiceException({
      name: 'Throttling',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    const error = await failWith(throttled)(event, lambdaContext).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).name).toBe('TransientError');
    expect((error as Error).message).toBe('Throttling: Rate exceeded');
  });

  it('maps 5xx answers, SDK timeouts and dropped connections to TransientError', () => {
    expect(
      isTransientFailure(
        new CloudFormationServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: {}, message: '' }),
      ),
    ).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe(true);
  });

  it('re-throws the control plane errors and client errors unchanged, by name', async () => {
    const conflict = await failWith(new ConflictError('DELETING'))(event, lambdaContext).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    const validation = new CloudFormationServiceException({
      name: 'ValidationError',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Template format error',
    });
    const thrown = await failWith(validation)(event, lambdaContext).catch((e: unknown) => e);
    expect(thrown).toBe(validation);
  });

  it('rejects an input that does not match the schema with InputValidationError (not retried)', async () => {
    const handler = taskHandler(z.object({ environmentId: z.string() }), async () => 'ran');
    const error = await handler({ environment: 'x' }, lambdaContext).catch((e: unknown) => e);
    expect((error as Error).name).toBe('InputValidationError');
    expect((error as Error).message).toContain('environmentId');
  });

  it('passes the parsed input to the domain function and returns its result', async () => {
    const handler = taskHandler(z.object({ environmentId: z.string() }), async (input) => ({ seen: input }));
    await expect(handler({ ...event, extra: 1 }, lambdaContext)).resolves.toEqual({ seen: event });
  });
});
