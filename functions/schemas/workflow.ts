import * as z from 'zod/mini';

/**
 * Inputs and outputs of the state machine and of its tasks. The state machine's own input is
 * `WorkflowInput`; each Lambda task receives the `*Input` shape built by the task's Parameters and
 * returns the `*Result` shape, stored under the task's resultPath.
 */
export const WorkflowInput = z.object({
  action: z.enum(['provision', 'teardown']),
  environmentId: z.string(),
  /** Why a workflow was started: `expired`, `deleted`, `sweeper`, `catalog-terminated`, `stack-vanished`. */
  reason: z.optional(z.string()),
});
export type WorkflowInput = z.infer<typeof WorkflowInput>;

export const EnvironmentTaskInput = z.object({ environmentId: z.string() });
export type EnvironmentTaskInput = z.infer<typeof EnvironmentTaskInput>;

export const CreateStackResult = z.object({ stackId: z.string(), stackName: z.string() });
export type CreateStackResult = z.infer<typeof CreateStackResult>;

/** Step Functions task tokens are up to 2,048 characters. */
const TaskToken = z.string().check(z.minLength(1), z.maxLength(2048));

/** Input of a callback task (`.waitForTaskToken`): the environment and the token the execution waits on. */
export const StackWaitInput = z.object({ environmentId: z.string(), taskToken: TaskToken });
export type StackWaitInput = z.infer<typeof StackWaitInput>;

export const CheckStackInput = z.object({
  environmentId: z.string(),
  operation: z.enum(['create', 'delete']),
});
export type CheckStackInput = z.infer<typeof CheckStackInput>;

/** CheckCreate / CheckDelete, run when no stack event came within the heartbeat: one look at the stack. */
export const CheckStackWaitInput = z.extend(CheckStackInput, { taskToken: TaskToken });
export type CheckStackWaitInput = z.infer<typeof CheckStackWaitInput>;

/**
 * CloudFormation's "CloudFormation Stack Status Change" event, as EventBridge delivers it (the fields the
 * handler reads; test/fixtures/workflow/stack-status-change.json is a whole one).
 */
export const StackStatusChangeEvent = z.object({
  source: z.literal('aws.cloudformation'),
  'detail-type': z.literal('CloudFormation Stack Status Change'),
  detail: z.object({
    'stack-id': z.string(),
    'status-details': z.object({ status: z.string(), 'status-reason': z.optional(z.string()) }),
    'client-request-token': z.optional(z.string()),
  }),
});
export type StackStatusChangeEvent = z.infer<typeof StackStatusChangeEvent>;

/** Progress of a stack operation. `reason` is set when FAILED (first failed stack events). */
export const CheckStackResult = z.object({
  state: z.enum(['IN_PROGRESS', 'COMPLETE', 'FAILED']),
  stackStatus: z.string(),
  reason: z.optional(z.string()),
});
export type CheckStackResult = z.infer<typeof CheckStackResult>;

export const ValidateResult = z.object({
  passed: z.boolean(),
  failedChecks: z.array(z.string()),
  /** Seconds from the create request to READY (set when every check passed). */
  secondsToReady: z.optional(z.number().check(z.nonnegative())),
});
export type ValidateResult = z.infer<typeof ValidateResult>;

/** The error a Catch put at `$.error`: Step Functions' `{Error, Cause}`. */
export const CaughtError = z.object({ Error: z.string(), Cause: z.optional(z.string()) });

export const RecordFailureInput = z.object({
  environmentId: z.string(),
  /** Where the failure happened. */
  stage: z.enum(['create', 'validate', 'teardown']),
  /** A reason computed by a task (failed checks, stack events)… */
  reason: z.optional(z.string()),
  /** …or the error a Catch caught. */
  error: z.optional(CaughtError),
});
export type RecordFailureInput = z.infer<typeof RecordFailureInput>;

export const StartTeardownResult = z.object({
  attempt: z.number().check(z.int(), z.positive()),
  stackStatus: z.string(),
});
export type StartTeardownResult = z.infer<typeof StartTeardownResult>;

export const FinishTeardownResult = z.object({ status: z.enum(['DELETED', 'FAILED']) });
export type FinishTeardownResult = z.infer<typeof FinishTeardownResult>;

/** One HTTP probe over one family (`probeHttp`; the IPv6 prober sends its own from the control plane's VPC). */
export const ProbeRequest = z.object({
  url: z.url(),
  family: z.union([z.literal(4), z.literal(6)]),
  timeoutMs: z._default(z.number().check(z.int(), z.positive(), z.lte(30_000)), 5_000),
});
export type ProbeRequest = z.infer<typeof ProbeRequest>;

export const ProbeResponse = z.object({
  ok: z.boolean(),
  statusCode: z.optional(z.number().check(z.int())),
  remoteAddress: z.optional(z.string()),
  remoteFamily: z.optional(z.string()),
  body: z.optional(z.string()),
  error: z.optional(z.string()),
  elapsedMs: z.number(),
});
export type ProbeResponse = z.infer<typeof ProbeResponse>;

/** What the IPv6 prober sent (the checks' IPv6 requests, `ipv6ProbeRequests`) and what each answered, for Validate. */
export const Ipv6Probes = z.object({
  probes: z.array(z.object({ url: z.string(), response: ProbeResponse })),
});
export type Ipv6Probes = z.infer<typeof Ipv6Probes>;

/**
 * Validate's input: the environment, and the IPv6 prober's answers (ProbeIpv6, the step before) or the error a
 * Catch put there when the prober itself failed (the IPv6 checks then fail with it).
 */
export const ValidateInput = z.object({
  environmentId: z.string(),
  ipv6: z.union([Ipv6Probes, CaughtError]),
});
export type ValidateInput = z.infer<typeof ValidateInput>;
