import type { Prices } from './blueprint-cost.js';

/**
 * What one environment's lifecycle costs the control plane: state transitions and Lambda invocations counted
 * from the Step Functions stand-in's event log, API requests, and an estimate of Lambda compute, converted to
 * dollars with the per-transition and per-request prices of functions/domain/prices.json (`usage`).
 */

/** The part of an execution record this module reads (local/step-functions-stand-in.ts). */
export interface CountedExecution {
  readonly events: readonly { readonly type: string; readonly stateName?: string; readonly stateType?: string }[];
  readonly taskInvocations: Readonly<Record<string, number>>;
}

export interface ExecutionCount {
  /** States entered plus retries: Step Functions bills a transition for each (Standard workflows). */
  readonly stateTransitions: number;
  /** Task (Lambda) invocations, a retried task counting each attempt. */
  readonly taskInvocations: number;
  /** Times each state was entered, by name. */
  readonly entered: Readonly<Record<string, number>>;
}

export function countExecution(execution: CountedExecution): ExecutionCount {
  const entered: Record<string, number> = {};
  let retries = 0;
  for (const event of execution.events) {
    if (event.type === 'StateEntered' && event.stateName)
      entered[event.stateName] = (entered[event.stateName] ?? 0) + 1;
    if (event.type === 'StateRetried') retries += 1;
  }
  const statesEntered = Object.values(entered).reduce((a, b) => a + b, 0);
  const taskInvocations = Object.values(execution.taskInvocations).reduce((a, b) => a + b, 0);
  return { stateTransitions: statesEntered + retries, taskInvocations, entered };
}

export interface LifecycleCount {
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  /**
   * Of which: workflow tasks (the IPv6 prober among them: ProbeIpv6), API handlers (one per API request), the
   * stack-event function (one per stack-status event delivered).
   */
  readonly lambdaInvocationsBy: {
    readonly tasks: number;
    readonly api: number;
    readonly stackEvents: number;
  };
  readonly apiRequests: number;
  /** Estimated Lambda compute, GB-seconds. */
  readonly lambdaGbSeconds: number;
}

export interface LifecycleCountOptions {
  /** API requests of the lifecycle (POST + DELETE = 2; status reads are the caller's choice, not counted). */
  readonly apiRequests: number;
  /** Lambda run time of the lifecycle (tasks and API handlers), ms, and the functions' memory, MB. */
  readonly lambdaMs: number;
  readonly memoryMb: number;
  /** Stack-status events delivered to the stack-event function during the lifecycle. @default 0 */
  readonly stackEvents?: number;
}

export function countLifecycle(
  executions: readonly CountedExecution[],
  options: LifecycleCountOptions,
): LifecycleCount {
  const counts = executions.map(countExecution);
  const tasks = counts.reduce((sum, c) => sum + c.taskInvocations, 0);
  const stackEvents = options.stackEvents ?? 0;
  return {
    stateTransitions: counts.reduce((sum, c) => sum + c.stateTransitions, 0),
    lambdaInvocations: tasks + options.apiRequests + stackEvents,
    lambdaInvocationsBy: { tasks, api: options.apiRequests, stackEvents },
    apiRequests: options.apiRequests,
    lambdaGbSeconds: (options.lambdaMs / 1000) * (options.memoryMb / 1024),
  };
}

/** The `usage` prices this module needs (added to functions/domain/prices.json). */
export const LIFECYCLE_PRICE_KEYS = {
  stateTransition: 'stepFunctionsStateTransition',
  lambdaRequest: 'lambdaRequest',
  lambdaGbSecond: 'lambdaArmGbSecond',
  apiRequest: 'apiGatewayRestRequest',
} as const;

export interface LifecycleCost {
  readonly lines: readonly { item: string; quantity: number; unit: string; unitUsd: number; usd: number }[];
  readonly totalUsd: number;
}

export function priceLifecycle(count: LifecycleCount, prices: Prices): LifecycleCost {
  const price = (key: string) => {
    const item = prices.usage[key];
    if (!item) throw new Error(`functions/domain/prices.json has no usage price "${key}"`);
    return item;
  };
  const line = (item: string, quantity: number, key: string) => {
    const p = price(key);
    return { item, quantity, unit: p.unit, unitUsd: p.usd, usd: quantity * p.usd };
  };
  const lines = [
    line('Step Functions state transitions', count.stateTransitions, LIFECYCLE_PRICE_KEYS.stateTransition),
    line('Lambda requests', count.lambdaInvocations, LIFECYCLE_PRICE_KEYS.lambdaRequest),
    line('Lambda compute (estimate)', count.lambdaGbSeconds, LIFECYCLE_PRICE_KEYS.lambdaGbSecond),
    line('API Gateway requests', count.apiRequests, LIFECYCLE_PRICE_KEYS.apiRequest),
  ];
  return { lines, totalUsd: lines.reduce((sum, l) => sum + l.usd, 0) };
}
