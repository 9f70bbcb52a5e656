import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStateMachine, synthesizeStateMachine } from '../../local/state-machine-definition.js';

type TaskHandler = (input: Record<string, unknown>, call: number) => unknown;
interface Run {
  /** Names of the states entered, in order. */
  readonly path: string[];
  /** Input each task received, in call order (without the execution ARN, collected in `executionArns`). */
  readonly calls: { state: string; input: Record<string, unknown> }[];
  /** The `executionArn` each task received, in call order. */
  readonly executionArns: unknown[];
  readonly result?: unknown;
  readonly error?: Error;
}

/** An error as a Lambda handler throws it (Step Functions matches on `name`). */
function named(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

let synthesized: SynthesizedStateMachine;
const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:provisioner:env-3k9x0q2m7ab1-provision-1';

beforeAll(async () => {
  synthesized = await synthesizeStateMachine();
}, 120_000);

/** Runs the synthesized definition with fake task results (no waits, no retry delays). */
async function execute(input: Record<string, unknown>, handlers: Record<string, TaskHandler>): Promise<Run> {
  const { definition, taskHandlers } = synthesized;
  const calls: Run['calls'] = [];
  const executionArns: unknown[] = [];
  const counts = new Map<string, number>();
  const localHandlers = Object.fromEntries(
    Object.keys(taskHandlers).map((state) => [
      state,
      async (effective: Record<string, unknown>) => {
        // payloadResponseOnly tasks get the payload itself; lambda:invoke tasks get {FunctionName, Payload}.
        const wrapped = definition.States[state]?.Resource === 'arn:aws:states:::lambda:invoke';
        const { executionArn, ...payload } = (wrapped ? effective.Payload : effective) as Record<string, unknown>;
        calls.push({ state, input: payload });
        executionArns.push(executionArn);
        const handler = handlers[state];
        if (!handler) throw new Error(`task ${state} was not expected to run`);
        const call = (counts.get(state) ?? 0) + 1;
        counts.set(state, call);
        const result = await handler(payload, call);
        return wrapped ? { Payload: result } : result;
      },
    ]),
  );
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run(input as never, {
    context: { Execution: { Id: EXECUTION_ARN, Name: EXECUTION_ARN.split(':').pop() } },
    overrides: {
      taskResourceLocalHandlers: localHandlers as never,
      waitTimeOverrides: { WaitForCreate: 0, WaitForDelete: 0 },
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskHandlers).map((s) => [s, 0])),
    },
  });
  const path: string[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') path.push((event as { state: { name: string } }).state.name);
    }
  })();
  let result: unknown;
  let error: Error | undefined;
  try {
    result = await execution.result;
  } catch (e) {
    error = e as Error;
  }
  await collecting;
  return { path, calls, executionArns, result, error };
}

const environmentId = 'env-3k9x0q2m7ab1';
const stack = {
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1/1',
  stackName: 'dsenv-env-3k9x0q2m7ab1',
};
const teardownOk: Record<string, TaskHandler> = {
  StartTeardown: (_, n) => ({ attempt: n, stackStatus: 'DELETE_IN_PROGRESS' }),
  CheckDelete: () => ({ state: 'COMPLETE', stackStatus: 'DELETE_COMPLETE' }),
  FinishTeardown: () => ({ status: 'DELETED' }),
};

describe('provisioning', () => {
  it('creates, polls until complete, validates and ends Ready', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => stack,
        CheckCreate: (_, n) =>
          n < 3
            ? { state: 'IN_PROGRESS', stackStatus: 'CREATE_IN_PROGRESS' }
            : { state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' },
        Validate: () => ({ passed: true, failedChecks: [] }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual([
      'Route',
      'CreateStack',
      ...Array(3).fill(['WaitForCreate', 'CheckCreate', 'CreateDone?']).flat(),
      'Validate',
      'Valid?',
      'Ready',
    ]);
    expect(run.calls.map((c) => [c.state, c.input])).toEqual([
      ['CreateStack', { environmentId }],
      ['CheckCreate', { environmentId, operation: 'create' }],
      ['CheckCreate', { environmentId, operation: 'create' }],
      ['CheckCreate', { environmentId, operation: 'create' }],
      ['Validate', { environmentId }],
    ]);
    // Each task learns its execution, for the correlation keys of its logs.
    expect(run.executionArns).toEqual(Array(5).fill(EXECUTION_ARN));
    expect(run.result).toMatchObject({ stack, validation: { passed: true }, check: { state: 'COMPLETE' } });
  });

  it('records a failed creation with the stack reason, then cleans up', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => stack,
        CheckCreate: () => ({ state: 'FAILED', stackStatus: 'ROLLBACK_COMPLETE', reason: 'Subnet: limit exceeded' }),
        RecordCreateFailure: () => ({ status: 'FAILED' }),
        ...teardownOk,
        FinishTeardown: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual([
      'Route',
      'CreateStack',
      'WaitForCreate',
      'CheckCreate',
      'CreateDone?',
      'RecordCreateFailure',
      'StartTeardown',
      'WaitForDelete',
      'CheckDelete',
      'DeleteDone?',
      'FinishTeardown',
      'TornDown',
    ]);
    const record = run.calls.find((c) => c.state === 'RecordCreateFailure')?.input;
    expect(record).toMatchObject({ environmentId, stage: 'create', reason: 'Subnet: limit exceeded' });
    expect(record).not.toHaveProperty('error');
    expect(run.calls.filter((c) => c.state !== 'RecordCreateFailure').map((c) => c.input.environmentId)).toEqual(
      Array(run.calls.length - 1).fill(environmentId),
    );
    expect(run.result).toMatchObject({ finish: { status: 'FAILED' } });
  });

  it('records the error a provisioning task threw (after its retries), then cleans up', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: (_, n) => {
          if (n === 1) throw named('TransientError', 'throttled');
          throw named('StackOperationFailedError', 'AlreadyExistsException');
        },
        RecordCreateFailure: () => ({ status: 'FAILED' }),
        ...teardownOk,
      },
    );

    expect(run.path.slice(0, 4)).toEqual(['Route', 'CreateStack', 'RecordCreateFailure', 'StartTeardown']);
    expect(run.calls.filter((c) => c.state === 'CreateStack')).toHaveLength(2);
    const record = run.calls.find((c) => c.state === 'RecordCreateFailure')?.input;
    expect(record).toMatchObject({
      environmentId,
      stage: 'create',
      error: { Error: 'StackOperationFailedError', Cause: expect.stringContaining('AlreadyExistsException') },
    });
    // Empty: the error is the reason (record-failure reads an empty reason as none).
    expect(record?.reason).toBe('');
    expect(run.path.at(-1)).toBe('TornDown');
  });

  it('does not take why the execution was started for why provisioning failed', async () => {
    const run = await execute(
      { action: 'provision', environmentId, reason: 'sweeper' },
      {
        CreateStack: () => {
          throw named('StackOperationFailedError', 'AlreadyExistsException');
        },
        RecordCreateFailure: () => ({ status: 'FAILED' }),
        ...teardownOk,
      },
    );

    const record = run.calls.find((c) => c.state === 'RecordCreateFailure')?.input;
    expect(record).toMatchObject({ stage: 'create', reason: '', error: { Error: 'StackOperationFailedError' } });
  });

  it('records a failed validation, then cleans up', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => stack,
        CheckCreate: () => ({ state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' }),
        Validate: () => ({ passed: false, failedChecks: ['http-ipv6'] }),
        RecordValidationFailure: () => ({ status: 'FAILED' }),
        ...teardownOk,
        FinishTeardown: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual([
      'Route',
      'CreateStack',
      'WaitForCreate',
      'CheckCreate',
      'CreateDone?',
      'Validate',
      'Valid?',
      'RecordValidationFailure',
      'StartTeardown',
      'WaitForDelete',
      'CheckDelete',
      'DeleteDone?',
      'FinishTeardown',
      'TornDown',
    ]);
    expect(run.calls.find((c) => c.state === 'RecordValidationFailure')?.input).toEqual({
      environmentId,
      stage: 'validate',
    });
  });

  it('stops as Superseded when the environment is deleted while provisioning', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => stack,
        CheckCreate: () => {
          throw named('ConflictError', 'environment is DELETING');
        },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'CreateStack', 'WaitForCreate', 'CheckCreate', 'Superseded']);
    // first try + 3 retries on fresh state: the conflict persisted, so another execution owns the environment
    expect(run.calls.map((c) => c.state)).toEqual([
      'CreateStack',
      'CheckCreate',
      'CheckCreate',
      'CheckCreate',
      'CheckCreate',
    ]);
  });

  it('retries a provisioning step whose conditional write lost a race with a benign concurrent write', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: (_, n) => {
          if (n === 1) throw named('ConflictError', 'environment changed meanwhile (expected version 1)');
          return stack;
        },
        CheckCreate: () => ({ state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' }),
        Validate: () => ({ passed: true, failedChecks: [] }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path.at(-1)).toBe('Ready');
    expect(run.calls.filter((c) => c.state === 'CreateStack')).toHaveLength(2);
  });
});

describe('teardown', () => {
  it('deletes the stack of an expired environment and ends TornDown', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'expired' },
      {
        ...teardownOk,
        CheckDelete: (_, n) =>
          n === 1
            ? { state: 'IN_PROGRESS', stackStatus: 'DELETE_IN_PROGRESS' }
            : { state: 'COMPLETE', stackStatus: 'DELETE_COMPLETE' },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual([
      'Route',
      'StartTeardown',
      'WaitForDelete',
      'CheckDelete',
      'DeleteDone?',
      'WaitForDelete',
      'CheckDelete',
      'DeleteDone?',
      'FinishTeardown',
      'TornDown',
    ]);
    expect(run.calls.map((c) => [c.state, c.input])).toEqual([
      ['StartTeardown', { environmentId }],
      ['CheckDelete', { environmentId, operation: 'delete' }],
      ['CheckDelete', { environmentId, operation: 'delete' }],
      ['FinishTeardown', { environmentId }],
    ]);
    expect(run.result).toMatchObject({ finish: { status: 'DELETED' } });
  });

  it('starts the deletion again after DELETE_FAILED, then succeeds', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        ...teardownOk,
        CheckDelete: (_, n) =>
          n === 1
            ? { state: 'FAILED', stackStatus: 'DELETE_FAILED', reason: 'ENI in use' }
            : { state: 'COMPLETE', stackStatus: 'DELETE_COMPLETE' },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual([
      'Route',
      'StartTeardown',
      'WaitForDelete',
      'CheckDelete',
      'DeleteDone?',
      'StartTeardown',
      'WaitForDelete',
      'CheckDelete',
      'DeleteDone?',
      'FinishTeardown',
      'TornDown',
    ]);
    expect(run.result).toMatchObject({ teardown: { attempt: 2 } });
  });

  it('records a teardown that cannot finish and fails the execution', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'expired' },
      {
        ...teardownOk,
        FinishTeardown: () => {
          throw named('StackOperationFailedError', 'still tagged: arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1');
        },
        RecordTeardownFailure: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.path.slice(-3)).toEqual(['FinishTeardown', 'RecordTeardownFailure', 'TeardownFailed']);
    expect(run.calls.find((c) => c.state === 'RecordTeardownFailure')?.input).toMatchObject({
      environmentId,
      stage: 'teardown',
      // the delete completed: no stack reason, and not the execution's own reason (`expired`)
      reason: '',
      error: { Error: 'StackOperationFailedError', Cause: expect.stringContaining('vpc/vpc-1') },
    });
    expect(run.error?.message).toMatch(/vpc\/vpc-1/);
  });

  it('names the resources that failed to delete when DeleteStack keeps failing', async () => {
    const stuck = 'PrivateSubnet1 (AWS::EC2::Subnet) DELETE_FAILED: subnet-1 has dependencies';
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        StartTeardown: (_, n) => {
          if (n > 3) throw named('StackOperationFailedError', 'stack could not be deleted in 3 attempts');
          return { attempt: n, stackStatus: 'DELETE_FAILED' };
        },
        CheckDelete: () => ({ state: 'FAILED', stackStatus: 'DELETE_FAILED', reason: stuck }),
        RecordTeardownFailure: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.path).toEqual([
      'Route',
      ...Array(3).fill(['StartTeardown', 'WaitForDelete', 'CheckDelete', 'DeleteDone?']).flat(),
      'StartTeardown',
      'RecordTeardownFailure',
      'TeardownFailed',
    ]);
    expect(run.calls.find((c) => c.state === 'RecordTeardownFailure')?.input).toMatchObject({
      environmentId,
      stage: 'teardown',
      reason: stuck,
      error: { Error: 'StackOperationFailedError', Cause: expect.stringContaining('in 3 attempts') },
    });
    expect(run.error?.message).toMatch(/in 3 attempts/);
  });

  it('records a teardown that fails before any stack check with the error alone', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'expired' },
      {
        StartTeardown: () => {
          throw named('NotFoundError', `environment ${environmentId} not found`);
        },
        RecordTeardownFailure: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.path).toEqual(['Route', 'StartTeardown', 'RecordTeardownFailure', 'TeardownFailed']);
    expect(run.calls.find((c) => c.state === 'RecordTeardownFailure')?.input).toMatchObject({
      environmentId,
      stage: 'teardown',
      reason: '',
      error: { Error: 'NotFoundError', Cause: expect.stringContaining('not found') },
    });
    expect(run.error?.message).toMatch(/not found/);
  });

  it('records the cleanup teardown’s own error, not the provisioning error before it', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => {
          throw named('StackOperationFailedError', 'AlreadyExistsException');
        },
        RecordCreateFailure: () => ({ status: 'FAILED' }),
        StartTeardown: () => {
          throw named('AccessDeniedException', 'not authorized to perform cloudformation:DeleteStack');
        },
        RecordTeardownFailure: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.path.slice(-4)).toEqual([
      'RecordCreateFailure',
      'StartTeardown',
      'RecordTeardownFailure',
      'TeardownFailed',
    ]);
    expect(run.calls.find((c) => c.state === 'RecordTeardownFailure')?.input).toMatchObject({
      stage: 'teardown',
      reason: '',
      error: { Error: 'AccessDeniedException', Cause: expect.stringContaining('cloudformation:DeleteStack') },
    });
  });

  it('ends Superseded, not failed, when an overlapping teardown already settled the environment', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'expired' },
      {
        ...teardownOk,
        StartTeardown: () => {
          throw named('ConflictError', `environment ${environmentId} is already DELETED`);
        },
        RecordTeardownFailure: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.calls.filter((c) => c.state === 'StartTeardown')).toHaveLength(4); // first try + 3 conflict retries
    expect(run.path.at(-1)).toBe('Superseded');
    expect(run.calls.some((c) => c.state === 'RecordTeardownFailure')).toBe(false);
    expect(run.error).toBeUndefined();
  });

  it('retries FinishTeardown while resources remain before giving up', async () => {
    const run = await execute(
      { action: 'teardown', environmentId },
      {
        ...teardownOk,
        FinishTeardown: (_, n) => {
          if (n < 3) throw named('ResourcesRemainError', 'target group still present');
          return { status: 'DELETED' };
        },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.calls.filter((c) => c.state === 'FinishTeardown')).toHaveLength(3);
    expect(run.path.at(-1)).toBe('TornDown');
  });
});

describe('synthesized definition', () => {
  it('maps every task to the handler file of the design', () => {
    expect(synthesized.taskHandlers).toEqual({
      CreateStack: 'functions/workflow/create-stack.ts',
      CheckCreate: 'functions/workflow/check-stack.ts',
      Validate: 'functions/workflow/validate-environment.ts',
      RecordCreateFailure: 'functions/workflow/record-failure.ts',
      RecordValidationFailure: 'functions/workflow/record-failure.ts',
      StartTeardown: 'functions/workflow/start-teardown.ts',
      CheckDelete: 'functions/workflow/check-stack.ts',
      FinishTeardown: 'functions/workflow/finish-teardown.ts',
      RecordTeardownFailure: 'functions/workflow/record-failure.ts',
    });
  });

  it('waits pollSeconds from configuration between polls', async () => {
    const { definition } = await synthesizeStateMachine({ config: { pollSeconds: 7 } });
    expect(definition.States.WaitForCreate).toMatchObject({ Type: 'Wait', Seconds: 7 });
    expect(definition.States.WaitForDelete).toMatchObject({ Type: 'Wait', Seconds: 7 });
    expect(synthesized.definition.States.WaitForCreate).toMatchObject({ Seconds: 15 });
  });
});
