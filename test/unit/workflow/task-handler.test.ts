import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  ResourcesRemainError,
  StackOperationFailedError,
  TransientError,
} from '../../../functions/shared/errors.js';
import { logger } from '../../../functions/shared/powertools.js';
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

describe('taskHandler logging: what an operator reads', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The logger calls a failing task makes: level, message and attributes. */
  async function logOf(error: unknown): Promise<{ level: string; message: string; extra: Record<string, unknown> }[]> {
    const calls: { level: string; message: string; extra: Record<string, unknown> }[] = [];
    for (const level of ['info', 'warn', 'error'] as const) {
      vi.spyOn(logger, level).mockImplementation((message: unknown, ...extra: unknown[]) => {
        calls.push({
          level: level.toUpperCase(),
          message: String(message),
          extra: (extra[0] ?? {}) as Record<string, unknown>,
        });
      });
    }
    await failWith(error)(event, lambdaContext).catch(() => undefined);
    return calls;
  }

  it.each([
    [
      'a throttled SDK call',
      new CloudFormationServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
      'TransientError',
    ],
    ['a lost conditional write', new ConflictError('environment changed meanwhile'), 'ConflictError'],
    [
      'resources still being released',
      new ResourcesRemainError('1 resource(s) remain: eni-1', ['eni-1']),
      'ResourcesRemainError',
    ],
  ])(
    'logs %s, which the state machine retries, as one WARN line with the reason and no stack',
    async (_what, error, name) => {
      const lines = await logOf(error);

      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'WARN', extra: { errorName: name, reason: expect.any(String) } });
      expect(Object.values(lines[0]?.extra ?? {}).some((v) => v instanceof Error)).toBe(false);
    },
  );

  it('writes the trace id of the invocation (Lambda active tracing) and the environment id on every line', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    try {
      const handler = taskHandler(z.object({ environmentId: z.string() }), async () => 'ran');
      await handler(event, lambdaContext);
    } finally {
      vi.unstubAllEnvs();
    }

    const lines = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        environmentId: event.environmentId,
      });
    }
  });

  it('logs an unrecoverable failure at ERROR with its stack', async () => {
    const lines = await logOf(new StackOperationFailedError('stack could not be deleted in 3 attempts'));

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'ERROR', message: 'task failed' });
    expect((lines[0]?.extra.error as Error | undefined)?.stack).toContain('StackOperationFailedError');
  });
});
