import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { listenOn } from './loopback.js';

/**
 * Stand-in for AWS Step Functions (`AWS_ENDPOINT_URL_SFN`): an HTTP server speaking the service's JSON
 * protocol (StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory,
 * DescribeStateMachine, SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat) that runs the synthesized definition
 * with aws-local-stepfunctions, each Task bound to a local function (the same handler module that runs in Lambda).
 * Executions live in memory: a restart forgets them, as a lost execution would be, and the sweeper repairs that.
 *
 * Callback tasks (`….waitForTaskToken`), which aws-local-stepfunctions does not run: each entry of such a state
 * gets a fresh task token (`$$.Task.Token`); the state's local function runs with it, and the state then waits
 * for SendTaskSuccess (its output is the state's result) or SendTaskFailure (its error and cause), failing with
 * `States.HeartbeatTimeout` when `HeartbeatSeconds` pass without a heartbeat. A token whose task is over answers
 * `TaskTimedOut`, as on AWS.
 */

/** A task's local implementation: receives the task's effective input, returns the Lambda's result. */
export type TaskFunction = (payload: unknown) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly stateName?: string;
  readonly stateType?: string;
  readonly error?: string;
}

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  /** The execution's event log (states entered/exited/failed/retried/caught, execution events). */
  readonly events: ExecutionEvent[];
  /** Task invocations per state name (a retried task counts each attempt). */
  readonly taskInvocations: Record<string, number>;
}

export interface StepFunctionsStandInOptions {
  readonly stateMachineArn: string;
  readonly definition: StateMachineDefinition;
  /** State name → local implementation. Every Task state of the definition must have one. */
  readonly tasks: Readonly<Record<string, TaskFunction>>;
  /** Duration of every Wait state, in ms. @default the definition's own */
  readonly waitMs?: number;
  /** Interval before every retry, in ms. @default the definition's own (backoff and jitter) */
  readonly retryIntervalMs?: number;
  /** Heartbeat timeout of every callback task, in ms. @default the definition's `HeartbeatSeconds` */
  readonly heartbeatMs?: number;
  /** Runs after each task's local function returned (a callback task then waits for its token). */
  readonly afterTask?: (stateName: string, payload: unknown) => void;
  /**
   * Runs before each task invocation, with the payload the task is about to receive (local mode uses it to let
   * stand-ins catch up with that environment, see launcher). On AWS that catching up takes no time; here it does,
   * and a Task state's `TimeoutSeconds` would count it (tasks without one get none, as on AWS: see below).
   */
  readonly beforeTask?: (stateName: string, payload: unknown) => Promise<void>;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default a free port */
  readonly port?: number;
}

export interface StepFunctionsStandIn {
  /** URL for `AWS_ENDPOINT_URL_SFN`. */
  readonly endpoint: string;
  readonly port: number;
  /** Every execution started since this stand-in started, oldest first. */
  executions(): readonly ExecutionRecord[];
  /** Resolves when no execution is running (or after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops accepting calls, aborts running executions and waits (briefly) for in-flight tasks (once: calls share it). */
  close(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

type JsonObject = Record<string, unknown>;
type AnyState = { Type: string; Resource?: string; States?: Record<string, AnyState> } & JsonObject;

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const CALLBACK_SUFFIX = '.waitForTaskToken';

/** An error as Step Functions reports it: `name` is the Error, `message` the Cause. */
function stepFunctionsError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The callback tasks waiting for their token, and the tokens whose task is over. */
class TaskTokens {
  readonly #waiting = new Map<
    string,
    { executionArn: string; settle: (error: Error | undefined, output?: unknown) => void; heartbeat: () => void }
  >();
  readonly #closed = new Set<string>();
  readonly #next = new Map<string, string>();

  static #issue(): string {
    return `AQ${randomBytes(96).toString('base64url')}`;
  }

  /** The token `$$.Task.Token` reads in the execution's current state (a new one once it is taken). */
  current(executionArn: string): string {
    let token = this.#next.get(executionArn);
    if (token === undefined) {
      token = TaskTokens.#issue();
      this.#next.set(executionArn, token);
    }
    return token;
  }

  /**
   * Takes the current token for a task attempt; `result` resolves with SendTaskSuccess's output and rejects on
   * failure or heartbeat timeout, whose clock `startHeartbeat` starts (see the task handlers).
   */
  take(
    executionArn: string,
    heartbeatMs: number | undefined,
  ): { token: string; result: Promise<unknown>; startHeartbeat: () => void } {
    const token = this.current(executionArn);
    this.#next.delete(executionArn);
    const result = new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const heartbeat = () => {
        if (heartbeatMs === undefined) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          const seconds = heartbeatMs / 1000;
          settle(stepFunctionsError('States.HeartbeatTimeout', `no heartbeat or result within ${seconds} s`));
        }, heartbeatMs);
      };
      const settle = (error: Error | undefined, output?: unknown) => {
        clearTimeout(timer);
        this.#waiting.delete(token);
        this.#closed.add(token);
        if (error) reject(error);
        else resolve(output);
      };
      this.#waiting.set(token, { executionArn, settle, heartbeat });
    });
    // An aborted execution no longer awaits its task; its closing must not be an unhandled rejection.
    result.catch(() => undefined);
    return { token, result, startHeartbeat: () => this.#waiting.get(token)?.heartbeat() };
  }

  /** SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat. */
  answer(token: unknown, answer: { output: unknown } | { error: Error } | 'heartbeat'): void {
    const waiting = typeof token === 'string' ? this.#waiting.get(token) : undefined;
    if (!waiting) {
      if (typeof token !== 'string' || !token.startsWith('AQ') || token.length > 2048) {
        throw new ServiceError('InvalidToken', 'Invalid Token');
      }
      if (this.#closed.has(token)) throw new ServiceError('TaskTimedOut', 'Task Timed Out');
      throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
    }
    if (answer === 'heartbeat') waiting.heartbeat();
    else if ('error' in answer) waiting.settle(answer.error);
    else waiting.settle(undefined, answer.output);
  }

  /** Whether the token's task was answered (or timed out) already. */
  answered(token: string): boolean {
    return this.#closed.has(token);
  }

  /** Closes the task an attempt left open (its function failed) and everything of an ended execution. */
  close(token: string): void {
    this.#waiting.get(token)?.settle(stepFunctionsError('States.TaskFailed', 'closed'));
  }

  closeExecution(executionArn: string): void {
    this.#next.delete(executionArn);
    for (const waiting of this.#waiting.values()) {
      if (waiting.executionArn === executionArn) waiting.settle(stepFunctionsError('States.Runtime', 'ended'));
    }
  }
}

/** Every state of the definition (including nested Parallel branches and Map processors), by name. */
function allStates(definition: { States: Record<string, unknown> }): Map<string, AnyState> {
  const found = new Map<string, AnyState>();
  const visit = (states: Record<string, unknown>) => {
    for (const [name, raw] of Object.entries(states)) {
      const state = raw as AnyState;
      found.set(name, state);
      for (const branch of (state.Branches as { States: Record<string, unknown> }[] | undefined) ?? [])
        visit(branch.States);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, unknown> } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(definition.States);
  return found;
}

/** Mirrors how a Lambda error reaches Step Functions: `Error` is the error's name, `Cause` a JSON document. */
function lambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const failure = new Error(JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
  failure.name = name;
  return failure;
}

const epochSeconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

/**
 * A Task state without `TimeoutSeconds` has no timeout of its own on AWS (99999999 s; a Lambda task ends at the
 * function's timeout), where aws-local-stepfunctions applies 60 s, measured around the local function and thus
 * around `beforeTask` too. Under load that failed healthy tasks with `States.Timeout` while their handler kept
 * running and later raced the failure path's writes. Node's timers hold at most 2^31-1 ms, hence this bound.
 */
const TASK_TIMEOUT_SECONDS_WHEN_UNSET = Math.floor((2 ** 31 - 1) / 1000);

/** The definition with AWS's task timeout made explicit where the definition sets none (see above). */
function withAwsTaskTimeouts<T>(definition: T): T {
  const copy = structuredClone(definition) as unknown as { States: Record<string, unknown> };
  for (const state of allStates(copy).values()) {
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = TASK_TIMEOUT_SECONDS_WHEN_UNSET;
    }
  }
  return copy as unknown as T;
}

/** An execution under way: how to abort it, and when it has ended (its record settled, its tokens closed). */
interface RunningExecution {
  readonly abort: () => void;
  readonly done: Promise<void>;
}

/** What the service's operations share: the machine, its executions and their task tokens. */
interface StandInState {
  readonly options: StepFunctionsStandInOptions;
  readonly stateMachineName: string;
  readonly executionArnPrefix: string;
  readonly states: Map<string, AnyState>;
  readonly machine: StateMachine;
  readonly waitTimeOverrides: Record<string, number>;
  readonly retryIntervalOverrides: Record<string, number>;
  readonly executions: Map<string, ExecutionRecord>;
  readonly tokens: TaskTokens;
  readonly running: Map<string, RunningExecution>;
  closing: boolean;
}

type Operation = (body: JsonObject) => JsonObject;

export async function startStepFunctionsStandIn(options: StepFunctionsStandInOptions): Promise<StepFunctionsStandIn> {
  const standIn = prepareStandIn(options);
  const operations = serviceOperations(standIn);
  const host = options.host ?? '127.0.0.1';
  const listener = await listenOn(
    createServer((req, res) => void handle(operations, req, res)),
    options.port ?? 0,
    host,
  );
  const idle = (timeoutMs = 10_000) => untilIdle(standIn.running, timeoutMs);
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${listener.port}`,
    port: listener.port,
    executions: () => [...standIn.executions.values()],
    idle,
    close: () => {
      closed ??= (async () => {
        standIn.closing = true;
        await listener.close();
        for (const { abort } of standIn.running.values()) abort();
        await idle(5_000);
      })();
      return closed;
    },
  };
}

/** The machine built from the definition, every Task state checked to have a local implementation. */
function prepareStandIn(options: StepFunctionsStandInOptions): StandInState {
  const { stateMachineArn, definition } = options;
  const states = allStates(definition as unknown as { States: Record<string, unknown> });
  const missing = [...states].filter(([name, s]) => s.Type === 'Task' && !options.tasks[name]).map(([n]) => n);
  if (missing.length > 0) throw new Error(`no local implementation for task state(s): ${missing.join(', ')}`);
  return {
    options,
    stateMachineName: stateMachineArn.split(':').pop() ?? 'state-machine',
    executionArnPrefix: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`,
    states,
    machine: new StateMachine(withAwsTaskTimeouts(definition), {
      validationOptions: { checkPaths: true, checkArn: true },
    }),
    ...timingOverrides(states, options),
    executions: new Map(),
    tokens: new TaskTokens(),
    running: new Map(),
    closing: false,
  };
}

/** The Wait durations and retry intervals the options replace, by state name. */
function timingOverrides(
  states: Map<string, AnyState>,
  options: StepFunctionsStandInOptions,
): Pick<StandInState, 'waitTimeOverrides' | 'retryIntervalOverrides'> {
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of states) {
    if (state.Type === 'Wait' && options.waitMs !== undefined) waitTimeOverrides[name] = options.waitMs;
    if (state.Retry && options.retryIntervalMs !== undefined) retryIntervalOverrides[name] = options.retryIntervalMs;
  }
  return { waitTimeOverrides, retryIntervalOverrides };
}

/** Resolves when no execution is running (or after `timeoutMs`). */
async function untilIdle(running: Map<string, RunningExecution>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (running.size > 0 && Date.now() < deadline) {
    await Promise.race([Promise.all([...running.values()].map((r) => r.done)), new Promise((r) => setTimeout(r, 100))]);
  }
}

/** The service's operations, by the name `X-Amz-Target` gives after `AWSStepFunctions.`. */
function serviceOperations(standIn: StandInState): Record<string, Operation> {
  const { tokens } = standIn;
  return {
    StartExecution: (body) => startExecution(standIn, body),
    DescribeExecution: (body) => describeExecution(findExecution(standIn, body.executionArn)),
    ListExecutions: (body) => listExecutions(standIn, body),
    StopExecution: (body) => stopExecution(standIn, body),
    GetExecutionHistory: (body) => executionHistory(findExecution(standIn, body.executionArn)),
    SendTaskSuccess: (body) => {
      tokens.answer(body.taskToken, { output: parseOutput(body.output) });
      return {};
    },
    SendTaskFailure: (body) => {
      const error = typeof body.error === 'string' ? body.error : '';
      tokens.answer(body.taskToken, {
        error: stepFunctionsError(error, typeof body.cause === 'string' ? body.cause : ''),
      });
      return {};
    },
    SendTaskHeartbeat: (body) => {
      tokens.answer(body.taskToken, 'heartbeat');
      return {};
    },
    DescribeStateMachine: (body) => describeStateMachine(standIn, body),
  };
}

function parseOutput(output: unknown): unknown {
  try {
    return JSON.parse(String(output));
  } catch {
    throw new ServiceError('InvalidOutput', 'Invalid Output: not JSON');
  }
}

function assertStateMachine(standIn: StandInState, stateMachineArn: unknown): void {
  if (stateMachineArn !== standIn.options.stateMachineArn) {
    throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(stateMachineArn)}'`);
  }
}

/** StartExecution's name (given or generated) and input, checked. */
function startRequest(body: JsonObject): { name: string; inputText: string; input: unknown } {
  const name = typeof body.name === 'string' && body.name !== '' ? body.name : randomUUID();
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ServiceError('InvalidName', `Invalid Name: '${name}'`);
  const inputText = typeof body.input === 'string' ? body.input : '{}';
  try {
    return { name, inputText, input: JSON.parse(inputText) };
  } catch {
    throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
  }
}

function startExecution(standIn: StandInState, body: JsonObject): JsonObject {
  assertStateMachine(standIn, body.stateMachineArn);
  const { name, inputText, input } = startRequest(body);
  const executionArn = standIn.executionArnPrefix + name;
  const existing = standIn.executions.get(executionArn);
  if (existing) {
    // Step Functions' idempotency: same name and input while running → the same execution.
    if (existing.status === 'RUNNING' && existing.input === inputText) {
      return { executionArn, startDate: epochSeconds(existing.startDate) };
    }
    throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
  }
  if (standIn.closing) throw new ServiceError('ServiceUnavailable', 'shutting down', 503);

  const record: ExecutionRecord = {
    executionArn,
    stateMachineArn: standIn.options.stateMachineArn,
    name,
    input: inputText,
    startDate: new Date(),
    status: 'RUNNING',
    events: [],
    taskInvocations: {},
  };
  standIn.executions.set(executionArn, record);
  runExecution(standIn, record, input);
  return { executionArn, startDate: epochSeconds(record.startDate) };
}

/** Runs the machine for a new execution, its events and result written to its record as they come. */
function runExecution(standIn: StandInState, record: ExecutionRecord, input: unknown): void {
  const { executionArn, name } = record;
  const { tokens } = standIn;
  const execution = standIn.machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskHandlers(standIn, record) as never,
      waitTimeOverrides: standIn.waitTimeOverrides,
      retryIntervalOverrides: standIn.retryIntervalOverrides,
    },
    noThrowOnAbort: true,
    context: {
      Execution: { Id: executionArn, Name: name, RoleArn: 'arn:aws:iam::123456789012:role/local' },
      StateMachine: { Id: record.stateMachineArn, Name: standIn.stateMachineName },
      // Read when a state's Parameters are evaluated: the token of the callback task being entered.
      Task: {
        get Token() {
          return tokens.current(executionArn);
        },
      },
    },
  });
  recordEvents(execution.eventLogs, record).catch(() => undefined);
  const ended = settleRecord(execution.result, record).finally(() => {
    standIn.running.delete(executionArn);
    tokens.closeExecution(executionArn);
  });
  standIn.running.set(executionArn, { abort: execution.abort, done: ended });
}

/** Appends the execution's event log to its record. */
async function recordEvents(eventLogs: AsyncIterable<unknown>, record: ExecutionRecord): Promise<void> {
  for await (const event of eventLogs) {
    const e = event as {
      type: string;
      timestamp: number;
      state?: { name: string; type: string };
      Error?: string;
    };
    record.events.push({
      type: e.type,
      timestamp: e.timestamp,
      ...(e.state ? { stateName: e.state.name, stateType: e.state.type } : {}),
      ...(e.Error ? { error: e.Error } : {}),
    });
  }
}

/** The execution's outcome in its record, unless it was stopped first. */
function settleRecord(result: Promise<unknown>, record: ExecutionRecord): Promise<void> {
  return result.then(
    (output) => {
      if (record.status !== 'RUNNING') return;
      record.status = 'SUCCEEDED';
      record.output = JSON.stringify(output ?? null);
      record.stopDate = new Date();
    },
    (error: unknown) => {
      if (record.status !== 'RUNNING') return;
      const failure = error instanceof Error && error.cause instanceof Error ? error.cause : (error as Error);
      record.status = error instanceof Error && error.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
      record.error = failure?.name ?? 'States.Runtime';
      record.cause = failure?.message ?? String(error);
      record.stopDate = new Date();
    },
  );
}

/** Every Task state's local handler for one execution. */
function taskHandlers(
  standIn: StandInState,
  record: ExecutionRecord,
): Record<string, (input: unknown) => Promise<unknown>> {
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of standIn.states) {
    const task = standIn.options.tasks[name];
    if (state.Type === 'Task' && task) handlers[name] = taskHandler(standIn, record, { name, state, task });
  }
  return handlers;
}

/** One Task state's handler: counts the attempt, runs the local function and answers as the integration would. */
function taskHandler(
  { options, tokens }: StandInState,
  record: ExecutionRecord,
  { name, state, task }: { name: string; state: AnyState; task: TaskFunction },
): (input: unknown) => Promise<unknown> {
  const callback = state.Resource?.endsWith(CALLBACK_SUFFIX) ?? false;
  const viaInvokeIntegration = state.Resource === LAMBDA_INVOKE || state.Resource === LAMBDA_INVOKE + CALLBACK_SUFFIX;
  const heartbeatSeconds = typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined;
  const heartbeatMs = options.heartbeatMs ?? (heartbeatSeconds === undefined ? undefined : heartbeatSeconds * 1000);
  return async (input: unknown) => {
    record.taskInvocations[name] = (record.taskInvocations[name] ?? 0) + 1;
    const payload = viaInvokeIntegration ? (input as JsonObject).Payload : input;
    // Taken before the function runs: it may answer its own token (SendTaskSuccess) before it returns.
    const waiting = callback ? tokens.take(record.executionArn, heartbeatMs) : undefined;
    let result: unknown;
    try {
      await options.beforeTask?.(name, payload);
      result = await task(payload);
    } catch (error) {
      // A task its function answered before failing is over: the answer stands, as on AWS.
      if (waiting && tokens.answered(waiting.token)) return waiting.result;
      if (waiting) tokens.close(waiting.token);
      throw lambdaError(error);
    }
    // On AWS the heartbeat counts from the task's start, the function's few seconds being nothing against it;
    // here the emulator does CloudFormation's whole work inside the function's call, so it counts from its end.
    waiting?.startHeartbeat();
    options.afterTask?.(name, payload);
    // A callback task's result is SendTaskSuccess's output; `lambda:invoke` without payloadResponseOnly returns
    // the Invoke response; a direct ARN returns the payload.
    if (waiting) return waiting.result;
    return viaInvokeIntegration
      ? { Payload: result ?? null, StatusCode: 200, ExecutedVersion: '$LATEST' }
      : (result ?? null);
  };
}

function findExecution(standIn: StandInState, executionArn: unknown): ExecutionRecord {
  const record = typeof executionArn === 'string' ? standIn.executions.get(executionArn) : undefined;
  if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(executionArn)}'`);
  return record;
}

function describeExecution(record: ExecutionRecord): JsonObject {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: epochSeconds(record.stopDate),
    input: record.input,
    output: record.output,
    error: record.error,
    cause: record.cause,
  };
}

function listExecutions(standIn: StandInState, body: JsonObject): JsonObject {
  assertStateMachine(standIn, body.stateMachineArn);
  const matching = [...standIn.executions.values()]
    .filter((r) => body.statusFilter === undefined || r.status === body.statusFilter)
    .reverse();
  const offset = typeof body.nextToken === 'string' ? Number(body.nextToken) : 0;
  const size = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100;
  const page = matching.slice(offset, offset + size);
  return {
    executions: page.map((r) => ({
      executionArn: r.executionArn,
      stateMachineArn: r.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: epochSeconds(r.startDate),
      stopDate: epochSeconds(r.stopDate),
    })),
    ...(offset + size < matching.length ? { nextToken: String(offset + size) } : {}),
  };
}

function stopExecution(standIn: StandInState, body: JsonObject): JsonObject {
  const record = findExecution(standIn, body.executionArn);
  if (record.status === 'RUNNING') {
    record.status = 'ABORTED';
    record.stopDate = new Date();
    if (typeof body.error === 'string') record.error = body.error;
    if (typeof body.cause === 'string') record.cause = body.cause;
    standIn.running.get(record.executionArn)?.abort();
  }
  return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
}

function executionHistory(record: ExecutionRecord): JsonObject {
  return {
    events: record.events.map((event, index) => ({
      id: index + 1,
      previousEventId: index,
      timestamp: event.timestamp / 1000,
      type: event.stateType ? `${event.stateType}${event.type}` : event.type,
      ...(event.stateName ? { stateEnteredEventDetails: { name: event.stateName } } : {}),
    })),
  };
}

function describeStateMachine(standIn: StandInState, body: JsonObject): JsonObject {
  assertStateMachine(standIn, body.stateMachineArn);
  return {
    stateMachineArn: standIn.options.stateMachineArn,
    name: standIn.stateMachineName,
    status: 'ACTIVE',
    type: 'STANDARD',
    definition: JSON.stringify(standIn.options.definition),
    roleArn: 'arn:aws:iam::123456789012:role/local',
    creationDate: epochSeconds(new Date()),
  };
}

function respond(res: ServerResponse, statusCode: number, body: JsonObject): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** One call of the JSON protocol: the operation `X-Amz-Target` names, its errors as the service reports them. */
async function handle(operations: Record<string, Operation>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = operations[target.replace(/^AWSStepFunctions\./, '')];
  try {
    if (req.method !== 'POST' || !target.startsWith('AWSStepFunctions.') || !operation) {
      throw new ServiceError('UnknownOperationException', `Operation not supported: ${target || 'none'}`);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text ? JSON.parse(text) : {}) as JsonObject;
    respond(res, 200, operation(body));
  } catch (error) {
    const serviceError =
      error instanceof ServiceError ? error : new ServiceError('InternalFailure', (error as Error).message, 500);
    res.setHeader('x-amzn-errortype', serviceError.type);
    respond(res, serviceError.statusCode, { __type: serviceError.type, message: serviceError.message });
  }
}
