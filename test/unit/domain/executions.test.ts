import { describe, expect, it } from 'vitest';
import { startWorkflow } from '../../../functions/domain/executions.js';
import { ThrottledError, TransientError } from '../../../functions/shared/errors.js';
import { awsError, FakeStepFunctions, FixedClock } from '../api/support/fakes.js';

const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:dsenv-lifecycle';

describe('startWorkflow', () => {
  it('names the execution <id>-<action>-<epoch ms> and passes the workflow input', async () => {
    const sfn = new FakeStepFunctions();
    const clock = new FixedClock(new Date('2026-03-01T12:00:00.000Z'));

    const arn = await startWorkflow(
      { sfn: sfn.asClient(), stateMachineArn, clock },
      { action: 'teardown', environmentId: 'env-aaaaaaaaaaa1', reason: 'deleted' },
    );

    expect(arn).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:dsenv-lifecycle:env-aaaaaaaaaaa1-teardown-1772366400000',
    );
    expect(sfn.started).toEqual([
      {
        stateMachineArn,
        name: 'env-aaaaaaaaaaa1-teardown-1772366400000',
        input: '{"action":"teardown","environmentId":"env-aaaaaaaaaaa1","reason":"deleted"}',
      },
    ]);
  });

  it('maps throttling and service faults to the retryable errors', async () => {
    const sfn = new FakeStepFunctions();
    const deps = { sfn: sfn.asClient(), stateMachineArn, clock: new FixedClock(new Date()) };
    const input = { action: 'provision', environmentId: 'env-aaaaaaaaaaa1' } as const;

    sfn.failNext('start', awsError('ThrottlingException'));
    await expect(startWorkflow(deps, input)).rejects.toBeInstanceOf(ThrottledError);
    sfn.failNext('start', awsError('ServiceUnavailable', 'server'));
    await expect(startWorkflow(deps, input)).rejects.toBeInstanceOf(TransientError);
  });
});
