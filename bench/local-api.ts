import type { ExecutionRecord, StepFunctionsStandIn } from '../local/step-functions-stand-in.js';

/** A small client of the local API and of the Step Functions stand-in's executions, for the benchmarks. */
export interface ApiResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Round trip of the request, ms. */
  readonly ms: number;
}

export const principal = (name: string) => `arn:aws:iam::123456789012:user/${name}`;

export async function call(
  apiUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; owner?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.owner !== undefined) headers['x-principal'] = options.owner;
  const started = performance.now();
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, ms };
}

/** The environment's execution of `action` started at or after `since` (epoch ms), if any. */
export function executionOf(
  stepFunctions: StepFunctionsStandIn,
  environmentId: string,
  action: 'provision' | 'teardown',
  since = 0,
): ExecutionRecord | undefined {
  return stepFunctions
    .executions()
    .find((e) => e.name.startsWith(`${environmentId}-${action}-`) && e.startDate.getTime() >= since - 1000);
}

/**
 * Waits (in-process, without calling the API or the emulator, so as not to load what is being measured) until
 * the environment's execution of `action` has ended; returns it.
 */
export async function executionEnded(
  stepFunctions: StepFunctionsStandIn,
  environmentId: string,
  action: 'provision' | 'teardown',
  options: { since?: number; timeoutMs: number; pollMs?: number },
): Promise<ExecutionRecord> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const execution = executionOf(stepFunctions, environmentId, action, options.since);
    if (execution && execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) {
      throw new Error(`${environmentId}: ${action} execution ${execution ? 'still running' : 'not started'}`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 10));
  }
}
