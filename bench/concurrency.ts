import type { LocalControlPlane } from '../local/launcher.js';
import type { ExecutionRecord } from '../local/step-functions-stand-in.js';
import { type ApiResponse, call, executionEnded, principal } from './local-api.js';
import { type Summary, summarize } from './stats.js';

/**
 * Concurrency in local mode: `count` environments requested at the same moment (one POST each, all sent
 * together, each by its own principal so that the per-owner limit stays the deployed one), then all deleted
 * at the same moment. Every request that is not answered 202, every execution that does not succeed and every
 * environment that does not reach READY (then DELETED) is an error.
 */
export interface ConcurrencyResult {
  readonly requested: number;
  readonly accepted: number;
  readonly ready: number;
  /** POST round trips, ms (all sent at once). */
  readonly postMs: Summary;
  /** First POST sent → each environment READY (end of its execution), ms. */
  readonly readyMs: Summary;
  /** First POST sent → the last environment READY, ms. */
  readonly timeToLastReadyMs: number;
  readonly deleted: number;
  /** First DELETE sent → the last environment DELETED, ms. */
  readonly timeToLastDeletedMs: number;
  readonly errors: readonly string[];
  /** The environments, while READY, with their owners (for the API load test). */
  readonly environments: readonly { id: string; owner: string }[];
}

const now = () => performance.timeOrigin + performance.now();

/** How an execution went, from its event log: its last state and the failures on the way (`CheckCreate States.Timeout`). */
export function executionTrail(execution: ExecutionRecord): string {
  const last = execution.events.findLast((e) => e.type === 'StateEntered')?.stateName ?? 'no state';
  const failures = execution.events
    .filter((e) => e.type === 'StateFailed')
    .map((e) => `${e.stateName ?? '?'} ${e.error ?? '?'}`);
  const counted = [...new Set(failures)].map((f) => {
    const n = failures.filter((x) => x === f).length;
    return n > 1 ? `${f} ×${n}` : f;
  });
  return `ended in ${last}${counted.length > 0 ? ` after ${counted.join(', ')}` : ''}`;
}

export async function createConcurrently(
  local: LocalControlPlane,
  count: number,
  timeoutMs: number,
): Promise<Omit<ConcurrencyResult, 'deleted' | 'timeToLastDeletedMs'>> {
  const errors: string[] = [];
  const owners = Array.from({ length: count }, (_, i) => principal(`bench-concurrent-${i}`));
  const started = now();
  const responses = await Promise.all(
    owners.map((owner, i) =>
      call(local.apiUrl, 'POST', '/environments', { body: { name: `burst-${i}`, ttlMinutes: 60 }, owner }).catch(
        (error: unknown): ApiResponse => ({ status: 0, body: { error: String(error) }, ms: now() - started }),
      ),
    ),
  );
  const accepted: { id: string; owner: string }[] = [];
  responses.forEach((res, i) => {
    if (res.status === 202) accepted.push({ id: String(res.body.id), owner: owners[i] as string });
    else errors.push(`POST #${i}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  });
  const ended = await Promise.all(
    accepted.map(({ id }) =>
      executionEnded(local.stepFunctions, id, 'provision', { since: started, timeoutMs, pollMs: 50 }).catch(
        (error: unknown) => {
          errors.push(String(error));
          return undefined;
        },
      ),
    ),
  );
  const readyTimes: number[] = [];
  const ready: { id: string; owner: string }[] = [];
  for (const [i, execution] of ended.entries()) {
    const environment = accepted[i] as { id: string; owner: string };
    if (!execution) continue;
    const res = await call(local.apiUrl, 'GET', `/environments/${environment.id}`, { owner: environment.owner });
    if (execution.status === 'SUCCEEDED' && res.body.status === 'READY') {
      ready.push(environment);
      readyTimes.push((execution.stopDate?.getTime() ?? now()) - started);
    } else {
      errors.push(
        `${environment.id}: execution ${execution.status} (${executionTrail(execution)}), status ${String(res.body.status)} ${String(res.body.failureReason ?? '')}`,
      );
    }
  }
  return {
    requested: count,
    accepted: accepted.length,
    ready: ready.length,
    postMs: summarize(responses.map((r) => r.ms)),
    readyMs: summarize(readyTimes),
    timeToLastReadyMs: readyTimes.length > 0 ? Math.max(...readyTimes) : Number.NaN,
    errors,
    environments: ready,
  };
}

export async function deleteConcurrently(
  local: LocalControlPlane,
  environments: readonly { id: string; owner: string }[],
  timeoutMs: number,
): Promise<{ deleted: number; timeToLastDeletedMs: number; errors: string[] }> {
  const errors: string[] = [];
  const started = now();
  const responses = await Promise.all(
    environments.map(({ id, owner }) => call(local.apiUrl, 'DELETE', `/environments/${id}`, { owner })),
  );
  responses.forEach((res, i) => {
    if (res.status !== 202) {
      errors.push(`DELETE ${environments[i]?.id}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
  });
  const ended = await Promise.all(
    environments.map(({ id }) =>
      executionEnded(local.stepFunctions, id, 'teardown', { since: started, timeoutMs, pollMs: 50 }).catch(
        (error: unknown) => {
          errors.push(String(error));
          return undefined;
        },
      ),
    ),
  );
  let deleted = 0;
  let last = 0;
  for (const [i, execution] of ended.entries()) {
    const environment = environments[i] as { id: string; owner: string };
    if (!execution) continue;
    const res = await call(local.apiUrl, 'GET', `/environments/${environment.id}`, { owner: environment.owner });
    if (res.body.status === 'DELETED') {
      deleted += 1;
      last = Math.max(last, (execution.stopDate?.getTime() ?? now()) - started);
    } else {
      errors.push(
        `${environment.id}: after teardown (${executionTrail(execution)}) ${String(res.body.status)} ${String(res.body.failureReason ?? '')}`,
      );
    }
  }
  return { deleted, timeToLastDeletedMs: deleted > 0 ? last : Number.NaN, errors };
}
