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

/**
 * Runs the synthesized definition with fake task results (no retry delays). A callback task's fake stands for the
 * whole wait: what it returns is what SendTaskSuccess resumes the task with, what it throws is SendTaskFailure's
 * error (or `States.HeartbeatTimeout` when no event came).
 */
async function execute(input: Record<string, unknown>, handlers: Record<string, TaskHandler>): Promise<Run> {
  const { definition, taskHandlers } = synthesized;
  const calls: Run['calls'] = [];
  const executionArns: unknown[] = [];
  const counts = new Map<string, number>();
  const localHandlers = Object.fromEntries(
    Object.keys(taskHandlers).map((state) => [
      state,
      async (effective: Record<string, unknown>) => {
        // payloadResponseOnly tasks get the payload itself; lambda:invoke tasks get {FunctionName, Payload}, and a
        // callback task (lambda:invoke.waitForTaskToken) gets that too but resumes with SendTaskSuccess's output.
        const resource = definition.States[state]?.Resource ?? '';
        const wrapped = resource === 'arn:aws:states:::lambda:invoke';
        const callback = resource.endsWith('.waitForTaskToken');
        const { executionArn, ...payload } = (wrapped || callback ? effective.Payload : effective) as Record<
          string,
          unknown
        >;
        calls.push({ state, input: payload });
        executionArns.push(executionArn);
        const handler = ({ ProbeIpv6: () => PROBES, ...handlers } as Record<string, TaskHandler>)[state];
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
    overrides: {
      taskResourceLocalHandlers: localHandlers as never,
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskHandlers).map((s) => [s, 0])),
    },
    context: { Execution: { Id: EXECUTION_ARN, Name: EXECUTION_ARN.split(':').pop() }, Task: { Token: TOKEN } },
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

const TOKEN = 'AQtoken';
/** What the IPv6 prober answers (ProbeIpv6's result, handed to Validate). */
const PROBES = { probes: [{ url: 'http://alb/health', response: { ok: true, statusCode: 200, elapsedMs: 3 } }] };
const environmentId = 'env-3k9x0q2m7ab1';
const created = { state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' };
const deletedStack = { state: 'COMPLETE', stackStatus: 'DELETE_COMPLETE' };
const noEvent = () => {
  throw named('States.HeartbeatTimeout', 'no heartbeat or result within 480 s');
};
const teardownOk: Record<string, TaskHandler> = {
  StartTeardown: () => deletedStack,
  FinishTeardown: () => ({ status: 'DELETED' }),
};

describe('provisioning', () => {
  it('creates the stack, sleeps until its event resumes it, validates and ends Ready', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      { CreateStack: () => created, Validate: () => ({ passed: true, failedChecks: [] }) },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'CreateStack', 'ProbeIpv6', 'Validate', 'Valid?', 'Ready']);
    expect(run.calls.map((c) => [c.state, c.input])).toEqual([
      ['CreateStack', { environmentId, taskToken: TOKEN }],
      ['ProbeIpv6', { environmentId }],
      ['Validate', { environmentId, ipv6: PROBES }],
    ]);
    // Each task learns its execution, for the correlation keys of its logs.
    expect(run.executionArns).toEqual(Array(3).fill(EXECUTION_ARN));
    expect(run.result).toMatchObject({ check: created, validation: { passed: true } });
  });

  it("validates with the IPv6 prober's error when the prober fails as a whole (after its retries)", async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => created,
        ProbeIpv6: (_input, call) => {
          throw named(call === 1 ? 'TransientError' : 'Error', 'Task timed out after 35.00 seconds');
        },
        Validate: () => ({ passed: false, failedChecks: ['http-ipv6'] }),
        RecordValidationFailure: () => ({ status: 'FAILED' }),
        ...teardownOk,
        FinishTeardown: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path.slice(0, 5)).toEqual(['Route', 'CreateStack', 'ProbeIpv6', 'Validate', 'Valid?']);
    expect(run.calls.filter((c) => c.state === 'ProbeIpv6')).toHaveLength(2);
    expect(run.calls.find((c) => c.state === 'Validate')?.input).toEqual({
      environmentId,
      ipv6: { Error: 'Error', Cause: expect.stringContaining('Task timed out after 35.00 seconds') },
    });
    expect(run.path).toContain('RecordValidationFailure');
  });

  it('looks at the stack once when no event came within the heartbeat, then proceeds', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: noEvent,
        CheckCreate: () => created,
        Validate: () => ({ passed: true, failedChecks: [] }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'CreateStack', 'CheckCreate', 'ProbeIpv6', 'Validate', 'Valid?', 'Ready']);
    expect(run.calls.find((c) => c.state === 'CheckCreate')?.input).toEqual({
      environmentId,
      operation: 'create',
      taskToken: TOKEN,
    });
  });

  it('waits again a bounded number of times, then ends FAILED with the heartbeat timeout as reason', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: noEvent,
        CheckCreate: noEvent,
        RecordCreateFailure: () => ({ status: 'CREATING' }),
        ...teardownOk,
      },
    );

    expect(run.error).toBeUndefined();
    // 30-minute stack timeout / 480 s heartbeat → 4 waits, plus one: the first try and 5 retries.
    expect(run.calls.filter((c) => c.state === 'CheckCreate')).toHaveLength(1 + 5);
    expect(run.path).toEqual([
      'Route',
      'CreateStack',
      'CheckCreate',
      'RecordCreateFailure',
      'StartTeardown',
      'FinishTeardown',
      'TornDown',
    ]);
    expect(run.calls.find((c) => c.state === 'RecordCreateFailure')?.input).toMatchObject({
      stage: 'create',
      error: { Error: 'States.HeartbeatTimeout', Cause: expect.stringContaining('no heartbeat') },
    });
  });

  it('records a failed creation with the stack reason (SendTaskFailure), then cleans up', async () => {
    const cause = 'LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) CREATE_FAILED: Too many load balancers';
    const run = await execute(
      { action: 'provision', environmentId, reason: 'sweeper' },
      {
        CreateStack: () => {
          throw named('StackOperationFailedError', cause);
        },
        RecordCreateFailure: () => ({ status: 'CREATING' }),
        ...teardownOk,
        FinishTeardown: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual([
      'Route',
      'CreateStack',
      'RecordCreateFailure',
      'StartTeardown',
      'FinishTeardown',
      'TornDown',
    ]);
    const record = run.calls.find((c) => c.state === 'RecordCreateFailure')?.input;
    // The execution's own reason (sweeper) is not why provisioning failed: blanked, the error is the reason.
    expect(record).toMatchObject({
      environmentId,
      stage: 'create',
      reason: '',
      error: { Error: 'StackOperationFailedError', Cause: cause },
    });
    expect(run.result).toMatchObject({ finish: { status: 'FAILED' } });
  });

  it('retries a provisioning task on a transient error, with a fresh wait', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: (_, n) => {
          if (n === 1) throw named('TransientError', 'throttled');
          return created;
        },
        Validate: () => ({ passed: true, failedChecks: [] }),
      },
    );

    expect(run.path.at(-1)).toBe('Ready');
    expect(run.calls.filter((c) => c.state === 'CreateStack')).toHaveLength(2);
  });

  it('records a failed validation, then cleans up', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => created,
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
      'ProbeIpv6',
      'Validate',
      'Valid?',
      'RecordValidationFailure',
      'StartTeardown',
      'FinishTeardown',
      'TornDown',
    ]);
    expect(run.calls.find((c) => c.state === 'RecordValidationFailure')?.input).toEqual({
      environmentId,
      stage: 'validate',
    });
  });

  it('still cleans up when the failure cannot be recorded', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => {
          throw named('StackOperationFailedError', 'CREATE_FAILED');
        },
        RecordCreateFailure: () => {
          throw named('NotFoundError', 'environment does not exist');
        },
        ...teardownOk,
      },
    );

    expect(run.path).toEqual([
      'Route',
      'CreateStack',
      'RecordCreateFailure',
      'StartTeardown',
      'FinishTeardown',
      'TornDown',
    ]);
  });

  it('stops as Superseded when the environment is deleted while provisioning', async () => {
    const run = await execute(
      { action: 'provision', environmentId },
      {
        CreateStack: () => {
          throw named('ConflictError', 'environment is DELETING');
        },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'CreateStack', 'Superseded']);
    // first try + 3 retries on fresh state: the conflict persisted, so another execution owns the environment
    expect(run.calls.map((c) => c.state)).toEqual(['CreateStack', 'CreateStack', 'CreateStack', 'CreateStack']);
  });
});

describe('teardown', () => {
  it('deletes the stack, sleeps until its event resumes it, and ends TornDown', async () => {
    const run = await execute({ action: 'teardown', environmentId, reason: 'expired' }, teardownOk);

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'StartTeardown', 'FinishTeardown', 'TornDown']);
    expect(run.calls.map((c) => [c.state, c.input])).toEqual([
      ['StartTeardown', { environmentId, taskToken: TOKEN }],
      ['FinishTeardown', { environmentId }],
    ]);
    expect(run.result).toMatchObject({ check: deletedStack, finish: { status: 'DELETED' } });
  });

  it('starts the deletion again after DELETE_FAILED, then succeeds', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        ...teardownOk,
        StartTeardown: (_, n) => {
          if (n === 1) throw named('StackDeleteFailedError', 'NetworkStack DELETE_FAILED: ENI in use');
          return deletedStack;
        },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'StartTeardown', 'FinishTeardown', 'TornDown']);
    expect(run.calls.filter((c) => c.state === 'StartTeardown')).toHaveLength(2);
  });

  it('records a teardown that keeps failing, naming the resources, and fails the execution', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        ...teardownOk,
        StartTeardown: (_, n) => {
          if (n <= 3) throw named('StackDeleteFailedError', 'NetworkStack DELETE_FAILED: ENI in use');
          throw named('StackOperationFailedError', 'could not be deleted in 3 attempts (last status DELETE_FAILED)');
        },
        RecordTeardownFailure: () => ({ status: 'FAILED' }),
      },
    );

    expect(run.path).toEqual(['Route', 'StartTeardown', 'RecordTeardownFailure', 'TeardownFailed']);
    expect(run.calls.filter((c) => c.state === 'StartTeardown')).toHaveLength(4);
    expect(run.calls.find((c) => c.state === 'RecordTeardownFailure')?.input).toMatchObject({
      environmentId,
      stage: 'teardown',
      error: { Error: 'StackOperationFailedError', Cause: expect.stringContaining('in 3 attempts') },
    });
    expect(run.error?.message).toMatch(/in 3 attempts/);
  });

  it('looks at the stack when no delete event came, and deletes again when it finds DELETE_FAILED', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        ...teardownOk,
        StartTeardown: (_, n) => (n === 1 ? noEvent() : deletedStack),
        CheckDelete: () => {
          throw named('StackDeleteFailedError', 'NetworkStack DELETE_FAILED');
        },
      },
    );

    expect(run.error).toBeUndefined();
    expect(run.path).toEqual(['Route', 'StartTeardown', 'CheckDelete', 'StartTeardown', 'FinishTeardown', 'TornDown']);
    expect(run.calls.find((c) => c.state === 'CheckDelete')?.input).toEqual({
      environmentId,
      operation: 'delete',
      taskToken: TOKEN,
    });
  });

  it('ends Superseded, not failed, when an overlapping teardown already settled the environment', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        StartTeardown: () => {
          throw named('ConflictError', 'environment is already DELETED');
        },
      },
    );

    expect(run.calls.filter((c) => c.state === 'StartTeardown')).toHaveLength(4); // first try + 3 conflict retries
    expect(run.path.at(-1)).toBe('Superseded');
    expect(run.error).toBeUndefined();
  });

  it('retries FinishTeardown while resources remain before giving up', async () => {
    const run = await execute(
      { action: 'teardown', environmentId, reason: 'deleted' },
      {
        ...teardownOk,
        FinishTeardown: (_, n) => {
          if (n < 3) throw named('ResourcesRemainError', '1 resource(s) remain');
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
      ProbeIpv6: 'functions/workflow/ipv6-prober.ts',
      Validate: 'functions/workflow/validate-environment.ts',
      RecordCreateFailure: 'functions/workflow/record-failure.ts',
      RecordValidationFailure: 'functions/workflow/record-failure.ts',
      StartTeardown: 'functions/workflow/start-teardown.ts',
      CheckDelete: 'functions/workflow/check-stack.ts',
      FinishTeardown: 'functions/workflow/finish-teardown.ts',
      RecordTeardownFailure: 'functions/workflow/record-failure.ts',
    });
  });

  it('has no polling loop: no Wait state, and every stack wait is a callback task with a heartbeat', () => {
    const states = Object.entries(synthesized.definition.States);
    expect(states.filter(([, s]) => s.Type === 'Wait')).toEqual([]);
    const callbacks = states.filter(([, s]) => s.Resource?.endsWith('.waitForTaskToken')).map(([name]) => name);
    expect(callbacks.sort()).toEqual(['CheckCreate', 'CheckDelete', 'CreateStack', 'StartTeardown']);
    for (const name of callbacks) expect(synthesized.definition.States[name]?.HeartbeatSeconds).toBe(480);
  });

  it('gives every task a catch-all', () => {
    for (const [name, state] of Object.entries(synthesized.definition.States)) {
      if (state.Type !== 'Task') continue;
      const catchers = (state.Catch ?? []) as { ErrorEquals: string[] }[];
      expect(
        catchers.some((c) => c.ErrorEquals.includes('States.ALL')),
        name,
      ).toBe(true);
    }
  });

  it('takes the heartbeat from configuration and bounds the checks by the stack timeout', async () => {
    const { definition } = await synthesizeStateMachine({ config: { heartbeatSeconds: 60, stackTimeoutMinutes: 10 } });
    expect(definition.States.CreateStack?.HeartbeatSeconds).toBe(60);
    const retriers = (definition.States.CheckCreate?.Retry ?? []) as { ErrorEquals: string[]; MaxAttempts: number }[];
    const retry = retriers.find((r) => r.ErrorEquals.includes('States.HeartbeatTimeout'));
    expect(retry?.MaxAttempts).toBe(11);
  });
});
