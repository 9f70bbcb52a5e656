/**
 * Polling versus events on AWS, modelled. The state machine waits for CloudFormation with a loop
 * (Wait `pollSeconds` → CheckCreate → CreateDone?), so a stack that completes between two checks is noticed
 * at the next one: for a completion time uniformly distributed over the poll phase the loop adds on average
 * half an interval (at most a whole one), and costs three state transitions and one Lambda invocation per poll.
 * Reacting to CloudFormation's stack-status events instead (EventBridge "CloudFormation Stack Status Change" →
 * a function that resumes a `.waitForTaskToken` task) adds the events' delivery latency and costs a fixed
 * number of transitions and invocations, whatever the stack's duration.
 */
export interface PollingModelInput {
  /** The Wait states' duration (cdk.json `pollSeconds`). */
  readonly pollSeconds: number;
  /** How long CloudFormation takes, seconds (assumed: the emulator completes stacks at once). */
  readonly stackSeconds: number;
  /** Duration of one check (CheckCreate/CheckDelete round trip), seconds. */
  readonly checkSeconds: number;
  /** Delivery of a stack-status event to the workflow, seconds (assumed). */
  readonly eventLatencySeconds: number;
  /** Transitions per poll: Wait + Check + Choice. @default 3 */
  readonly transitionsPerPoll?: number;
  /** Transitions of the event-driven wait: the waiting task, and the Choice after it. @default 2 */
  readonly transitionsPerEventWait?: number;
  /** Lambda invocations of the event-driven wait: the function resuming the task. @default 1 */
  readonly invocationsPerEventWait?: number;
}

export interface WaitModel {
  /** Mean delay between the stack's completion and the workflow noticing it, seconds. */
  readonly meanAddedSeconds: number;
  /** Worst case, seconds. */
  readonly maxAddedSeconds: number;
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
}

export interface PollingModel {
  readonly polling: WaitModel & { readonly polls: number };
  readonly events: WaitModel;
  /** Mean latency polling adds over events, seconds. */
  readonly meanSavedSeconds: number;
}

/** Checks until a stack of `stackSeconds` is seen complete: the first check at or after its completion. */
export function pollsFor(stackSeconds: number, pollSeconds: number): number {
  if (pollSeconds <= 0) throw new RangeError('pollSeconds must be positive');
  return Math.max(1, Math.ceil(stackSeconds / pollSeconds));
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
  const events = {
    meanAddedSeconds: input.eventLatencySeconds,
    maxAddedSeconds: input.eventLatencySeconds,
    stateTransitions: input.transitionsPerEventWait ?? 2,
    lambdaInvocations: input.invocationsPerEventWait ?? 1,
  };
  return { polling, events, meanSavedSeconds: polling.meanAddedSeconds - events.meanAddedSeconds };
}
