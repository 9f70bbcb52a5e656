/**
 * Waiting for CloudFormation on AWS, modelled: the previous design's poll loop against the stack-status events
 * the state machine waits on now. A poll loop (Wait `pollSeconds` → check → Choice) notices a stack that completes
 * between two checks at the next one: for a completion time uniformly distributed over the poll phase it adds on
 * average half an interval (at most a whole one), and costs three state transitions and one Lambda invocation per
 * poll. The event-driven wait (a `.waitForTaskToken` task, resumed by the handler of CloudFormation's "Stack Status
 * Change" event) adds the event's delivery and the handler's round trip, and costs one transition (the waiting
 * task) and one invocation (the handler), plus one look at the stack (a transition and an invocation) for every
 * heartbeat that passes while CloudFormation works, whatever the stack's duration otherwise.
 */
export interface PollingModelInput {
  /** The poll loop's Wait duration (the previous design's `pollSeconds`). */
  readonly pollSeconds: number;
  /** How long CloudFormation takes, seconds (assumed: the emulator completes stacks at once). */
  readonly stackSeconds: number;
  /** Duration of one check (a DescribeStacks round trip in a function), seconds. */
  readonly checkSeconds: number;
  /** Delivery of a stack-status event to its rule's target, seconds (assumed). */
  readonly eventLatencySeconds: number;
  /** The callback tasks' heartbeat (cdk.json `heartbeatSeconds`). @default no heartbeat check */
  readonly heartbeatSeconds?: number;
  /** Transitions per poll: Wait + Check + Choice. @default 3 */
  readonly transitionsPerPoll?: number;
}

export interface WaitModel {
  /** Mean delay between the stack's completion and the workflow going on, seconds. */
  readonly meanAddedSeconds: number;
  /** Worst case, seconds. */
  readonly maxAddedSeconds: number;
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
}

export interface PollingModel {
  readonly polling: WaitModel & { readonly polls: number };
  readonly events: WaitModel & { readonly heartbeatChecks: number };
  /** Mean latency polling adds over events, seconds. */
  readonly meanSavedSeconds: number;
}

/** Checks until a stack of `stackSeconds` is seen complete: the first check at or after its completion. */
export function pollsFor(stackSeconds: number, pollSeconds: number): number {
  if (pollSeconds <= 0) throw new RangeError('pollSeconds must be positive');
  return Math.max(1, Math.ceil(stackSeconds / pollSeconds));
}

/** Heartbeats that pass while CloudFormation works (each one a look at the stack, then waiting again). */
export function heartbeatChecksFor(stackSeconds: number, heartbeatSeconds: number | undefined): number {
  if (heartbeatSeconds === undefined) return 0;
  if (heartbeatSeconds <= 0) throw new RangeError('heartbeatSeconds must be positive');
  return Math.floor(stackSeconds / heartbeatSeconds);
}

export function modelWait(input: PollingModelInput): PollingModel {
  const polls = pollsFor(input.stackSeconds, input.pollSeconds);
  const polling = {
    polls,
    meanAddedSeconds: input.pollSeconds / 2 + input.checkSeconds,
    maxAddedSeconds: input.pollSeconds + input.checkSeconds,
    stateTransitions: polls * (input.transitionsPerPoll ?? 3),
    lambdaInvocations: polls,
  };
  const heartbeatChecks = heartbeatChecksFor(input.stackSeconds, input.heartbeatSeconds);
  const afterCompletion = input.eventLatencySeconds + input.checkSeconds;
  const events = {
    heartbeatChecks,
    meanAddedSeconds: afterCompletion,
    maxAddedSeconds: afterCompletion,
    stateTransitions: 1 + heartbeatChecks,
    lambdaInvocations: 1 + heartbeatChecks,
  };
  return { polling, events, meanSavedSeconds: polling.meanAddedSeconds - events.meanAddedSeconds };
}
