import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
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

async function waitForStatus(client: SFNClient, executionArn: string) {
  for (let i = 0; i < 100; i++) {
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
