import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StepFunctionsStandIn, startStepFunctionsStandIn } from '../../local/step-functions-stand-in.js';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:tiny';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:tiny';

/** Count → poll until done → ready; a flaky task retried; a failing task caught into a Fail state. */
const definition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.action', StringEquals: 'count', Next: 'Count' },
        { Variable: '$.action', StringEquals: 'fail', Next: 'Explode' },
        { Variable: '$.action', StringEquals: 'hang', Next: 'Hang' },
      ],
      Default: 'Flaky',
    },
    Count: { Type: 'Task', Resource: FN, Parameters: { 'n.$': '$.count.n' }, ResultPath: '$.count', Next: 'Done?' },
    'Done?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.count.n', NumericGreaterThanEquals: 3, Next: 'Ready' }],
      Default: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 30, Next: 'Count' },
    Ready: { Type: 'Succeed' },
    Flaky: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: FN, Payload: { 'id.$': '$.id' } },
      OutputPath: '$.Payload',
      Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 30, MaxAttempts: 3 }],
      End: true,
    },
    Explode: {
      Type: 'Task',
      Resource: FN,
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record' }],
      End: true,
    },
    Record: { Type: 'Task', Resource: FN, Parameters: { 'error.$': '$.error' }, ResultPath: null, Next: 'Failed' },
    Failed: { Type: 'Fail', Error: 'Exploded', Cause: 'the task failed' },
    Hang: { Type: 'Task', Resource: FN, End: true },
  },
} as unknown as StateMachineDefinition;

async function waitForStatus(client: SFNClient, executionArn: string, timeoutMs = 2_000) {
  for (let i = 0; i < timeoutMs / 20; i++) {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`execution still running: ${executionArn}`);
}

describe('local Step Functions stand-in', () => {
  let sfn: StepFunctionsStandIn;
  let client: SFNClient;
  let flakyFailuresLeft = 2;
  let releaseHang: () => void = () => undefined;
  const hanging = new Promise<void>((resolve) => {
    releaseHang = resolve;
  });
  const caught: unknown[] = [];

  beforeAll(async () => {
    sfn = await startStepFunctionsStandIn({
      stateMachineArn: ARN,
      definition,
      waitMs: 5,
      retryIntervalMs: 5,
      tasks: {
        Count: async (input) => ({ n: ((input as { n: number }).n ?? 0) + 1 }),
        Flaky: async (input) => {
          if (flakyFailuresLeft-- > 0) throw Object.assign(new Error('busy'), { name: 'TransientError' });
          return { echoed: (input as { id: string }).id };
        },
        Explode: async () => {
          const error = new Error('stack vanished');
          error.name = 'StackOperationFailedError';
          throw error;
        },
        Hang: async () => {
          await hanging;
          return {};
        },
        Record: async (input) => {
          caught.push((input as { error: unknown }).error);
          return { recorded: true };
        },
      },
    });
    client = new SFNClient({
      endpoint: sfn.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });
  afterAll(async () => {
    releaseHang();
    await sfn.close();
  });

  it('runs a polling loop to success, with the Wait overridden, and answers Describe', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: ARN,
        name: 'count-1',
        input: JSON.stringify({ action: 'count', count: { n: 0 } }),
      }),
    );

    const done = await waitForStatus(client, executionArn as string);

    expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:tiny:count-1');
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toMatchObject({ count: { n: 3 } });
    const record = sfn.executions().find((e) => e.name === 'count-1');
    expect(record?.taskInvocations).toEqual({ Count: 3 });
    expect(record?.events.filter((e) => e.type === 'StateEntered' && e.stateName === 'Pause')).toHaveLength(2);
  });

  it('retries a task on a matching error name and unwraps lambda:invoke payloads', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: ARN,
        name: 'flaky-1',
        input: JSON.stringify({ action: 'flaky', id: 'abc' }),
      }),
    );

    const done = await waitForStatus(client, executionArn as string);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual({ echoed: 'abc' });
    expect(sfn.executions().find((e) => e.name === 'flaky-1')?.taskInvocations).toEqual({ Flaky: 3 });
  });

  it('reports a failed execution with the Fail state error and cause', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'fail-1', input: JSON.stringify({ action: 'fail' }) }),
    );

    const done = await waitForStatus(client, executionArn as string);

    expect(done).toMatchObject({ status: 'FAILED', error: 'Exploded', cause: 'the task failed' });
  });

  it('hands a caught handler error to the catcher as Lambda does: Error = its name, Cause = JSON', async () => {
    const record = sfn.executions().find((e) => e.name === 'fail-1');

    expect(caught).toHaveLength(1);
    const error = caught[0] as { Error: string; Cause: string };
    expect(error.Error).toBe('StackOperationFailedError');
    expect(JSON.parse(error.Cause)).toMatchObject({
      errorType: 'StackOperationFailedError',
      errorMessage: 'stack vanished',
    });
    expect(record?.events.find((e) => e.type === 'StateFailed')).toMatchObject({
      stateName: 'Explode',
      error: 'StackOperationFailedError',
    });
    expect(record?.taskInvocations).toEqual({ Explode: 1, Record: 1 });
  });

  it('is idempotent for the same name and input while running, and rejects a different input', async () => {
    const input = JSON.stringify({ action: 'hang' });
    const first = await client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'hang-1', input }));
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'hang-1', input }));

    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'hang-1', input: '{"action":"other"}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(again.executionArn).toBe(first.executionArn);
  });

  it('stops a running execution and lists executions by status', async () => {
    const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:tiny:hang-1';

    await client.send(new StopExecutionCommand({ executionArn, error: 'Superseded', cause: 'test' }));

    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Superseded' });
    const aborted = await client.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'ABORTED' }));
    expect(aborted.executions?.map((e) => e.name)).toEqual(['hang-1']);
    const all = await client.send(new ListExecutionsCommand({ stateMachineArn: ARN, maxResults: 2 }));
    expect(all.executions).toHaveLength(2);
    expect(all.nextToken).toBeDefined();
  });

  it('answers ExecutionDoesNotExist for an unknown execution (what the sweeper sees after a restart)', async () => {
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: `${ARN.replace('stateMachine', 'execution')}:nope` })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});

/** A callback task (as CreateStack is): the function gets a token; SendTask* answers it. */
const callbackDefinition = {
  StartAt: 'Await',
  States: {
    Await: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FN, Payload: { 'id.$': '$.id', 'taskToken.$': '$$.Task.Token' } },
      HeartbeatSeconds: 60,
      ResultPath: '$.answer',
      Retry: [{ ErrorEquals: ['States.HeartbeatTimeout'], IntervalSeconds: 1, MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
      End: true,
    },
    Failed: { Type: 'Fail', Error: 'WaitFailed', CausePath: '$.error.Cause' },
  },
} as unknown as StateMachineDefinition;

describe('local Step Functions stand-in: callback tasks', () => {
  const CALLBACK_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:callback';
  let sfn: StepFunctionsStandIn;
  let client: SFNClient;
  /** Tokens each execution's task was given, by the input's id, in order. */
  const tokens = new Map<string, string[]>();
  const tokenOf = async (id: string, nth = 0) => {
    for (let i = 0; i < 200 && (tokens.get(id)?.length ?? 0) <= nth; i++) await new Promise((r) => setTimeout(r, 10));
    return tokens.get(id)?.[nth] ?? '';
  };
  const start = async (id: string) =>
    (
      await client.send(
        new StartExecutionCommand({ stateMachineArn: CALLBACK_ARN, name: id, input: JSON.stringify({ id }) }),
      )
    ).executionArn as string;

  beforeAll(async () => {
    sfn = await startStepFunctionsStandIn({
      stateMachineArn: CALLBACK_ARN,
      definition: callbackDefinition,
      retryIntervalMs: 5,
      heartbeatMs: 300,
      tasks: {
        Await: async (input) => {
          const { id, taskToken } = input as { id: string; taskToken: string };
          tokens.set(id, [...(tokens.get(id) ?? []), taskToken]);
          // Like CreateStack finding its stack already done: it answers its own token before it returns.
          if (id === 'self') {
            await client.send(new SendTaskSuccessCommand({ taskToken, output: '{"by":"itself"}' }));
          }
          return { started: true };
        },
      },
    });
    client = new SFNClient({
      endpoint: sfn.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });
  afterAll(async () => {
    await sfn.close();
  });

  it('sleeps until SendTaskSuccess, whose output is the task result; a token answers once', async () => {
    const executionArn = await start('ok');
    const token = await tokenOf('ok');
    await new Promise((r) => setTimeout(r, 50));
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"state":"COMPLETE"}' }));

    const done = await waitForStatus(client, executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual({ id: 'ok', answer: { state: 'COMPLETE' } });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(
      TaskTimedOut,
    );
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
  });

  it('fails the task with SendTaskFailure’s error and cause', async () => {
    const executionArn = await start('failed');

    await client.send(
      new SendTaskFailureCommand({
        taskToken: await tokenOf('failed'),
        error: 'StackOperationFailedError',
        cause: 'Vpc: limit',
      }),
    );

    expect(await waitForStatus(client, executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'WaitFailed',
      cause: 'Vpc: limit',
    });
  });

  it('times out with States.HeartbeatTimeout, retries with a fresh token, then fails', async () => {
    const executionArn = await start('silent');

    const done = await waitForStatus(client, executionArn, 3_000);

    expect(done).toMatchObject({ status: 'FAILED', cause: expect.stringContaining('no heartbeat') });
    const [first, second] = tokens.get('silent') ?? [];
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: first, output: '{}' }))).rejects.toBeInstanceOf(
      TaskTimedOut,
    );
  });

  it('keeps a task alive past its heartbeat while SendTaskHeartbeat comes', async () => {
    const executionArn = await start('beating');
    const token = await tokenOf('beating');

    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 120));
      await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"alive":true}' }));

    expect((await waitForStatus(client, executionArn)).status).toBe('SUCCEEDED');
    expect(tokens.get('beating')).toHaveLength(1);
  });

  it('accepts an answer the task’s own function sends before it returns', async () => {
    const done = await waitForStatus(client, await start('self'));
    expect(JSON.parse(done.output as string)).toMatchObject({ answer: { by: 'itself' } });
  });
});
