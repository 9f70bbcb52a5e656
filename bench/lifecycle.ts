import type { LocalControlPlane } from '../local/launcher.js';
import type { ExecutionRecord } from '../local/step-functions-stand-in.js';
import type { EmulatorRequest } from './emulator-timing-proxy.js';
import { call, executionEnded, principal } from './local-api.js';
import { type Interval, summarize, unionLength } from './stats.js';

/**
 * Lifecycle overhead in local mode: environments created and deleted one after another, each phase timed from the
 * API request to the end of its execution (READY, DELETED), with the time the emulator spent answering requests in
 * that window, the time spent in the Wait states (the local poll interval) and what remains: the control plane's
 * own share (handlers, state machine, stand-ins, probe start, validation probes).
 */
export interface PhaseTiming {
  /** API request to the end of the execution, ms. */
  readonly wallMs: number;
  /** Time at least one emulator request was in flight in that window, ms. */
  readonly emulatorMs: number;
  /** Time spent in Wait states (the local poll interval), not already counted as emulator time, ms. */
  readonly waitMs: number;
  /** Time the Fargate stand-in spent starting the environment's probe process, not already counted, ms. */
  readonly probeStartMs: number;
  /** What remains: handlers, state machine, API adapter, validation probes, ms. */
  readonly controlPlaneMs: number;
  /** Emulator requests in the window. */
  readonly emulatorRequests: number;
}

export interface LifecycleSample {
  readonly environmentId: string;
  readonly create: PhaseTiming;
  readonly delete: PhaseTiming;
  readonly finalStatus: string;
  readonly executions: readonly ExecutionRecord[];
  /** Round trips of the POST and the DELETE (their API handlers' share of Lambda time), ms. */
  readonly apiMs: number;
}

/** Time spent in each state (StateEntered → StateExited/StateFailed/StateCaught of the same state), by state name. */
export function stateDurations(execution: Pick<ExecutionRecord, 'events'>): Record<string, number> {
  const durations: Record<string, number> = {};
  const entered = new Map<string, number>();
  for (const event of execution.events) {
    if (!event.stateName) continue;
    if (event.type === 'StateEntered') entered.set(event.stateName, event.timestamp);
    else if (event.type === 'StateExited' || event.type === 'StateFailed') {
      const start = entered.get(event.stateName);
      if (start !== undefined) {
        durations[event.stateName] = (durations[event.stateName] ?? 0) + (event.timestamp - start);
        entered.delete(event.stateName);
      }
    }
  }
  return durations;
}

/** [start, end] of every visit of the named states (StateEntered → StateExited/StateFailed). */
export function stateIntervals(execution: Pick<ExecutionRecord, 'events'>, names: ReadonlySet<string>): Interval[] {
  const intervals: Interval[] = [];
  const entered = new Map<string, number>();
  for (const event of execution.events) {
    if (!event.stateName || !names.has(event.stateName)) continue;
    if (event.type === 'StateEntered') entered.set(event.stateName, event.timestamp);
    else if (event.type === 'StateExited' || event.type === 'StateFailed') {
      const start = entered.get(event.stateName);
      if (start !== undefined) intervals.push([start, event.timestamp]);
      entered.delete(event.stateName);
    }
  }
  return intervals;
}

/**
 * Splits a phase's wall time without counting anything twice: emulator requests first, then Wait states, then
 * the Fargate stand-in starting the probe (the state entered last before the probe ran, up to that moment);
 * the control plane's share is what none of them covers.
 */
export function breakDown(
  window: Interval,
  emulator: readonly Interval[],
  waits: readonly Interval[],
  probeStart: readonly Interval[],
): Omit<PhaseTiming, 'emulatorRequests'> {
  const wallMs = window[1] - window[0];
  const emulatorMs = unionLength(emulator, window);
  const withWaits = unionLength([...emulator, ...waits], window);
  const withProbe = unionLength([...emulator, ...waits, ...probeStart], window);
  return {
    wallMs,
    emulatorMs,
    waitMs: withWaits - emulatorMs,
    probeStartMs: withProbe - withWaits,
    controlPlaneMs: wallMs - withProbe,
  };
}

function phase(
  window: Interval,
  execution: ExecutionRecord,
  emulator: readonly EmulatorRequest[],
  waitStates: ReadonlySet<string>,
  probeRunningAt: number | undefined,
): PhaseTiming {
  const inWindow = emulator.filter((r) => r.end > window[0] && r.start < window[1]);
  const probeStart: Interval[] = [];
  if (probeRunningAt !== undefined && probeRunningAt > window[0] && probeRunningAt <= window[1]) {
    const enteredBefore = execution.events
      .filter((e) => e.type === 'StateEntered' && e.timestamp <= probeRunningAt)
      .map((e) => e.timestamp);
    if (enteredBefore.length > 0) probeStart.push([Math.max(...enteredBefore), probeRunningAt]);
  }
  return {
    ...breakDown(
      window,
      inWindow.map((r): Interval => [r.start, r.end]),
      stateIntervals(execution, waitStates),
      probeStart,
    ),
    emulatorRequests: inWindow.length,
  };
}

export interface SequentialOptions {
  readonly count: number;
  readonly waitStates: ReadonlySet<string>;
  readonly emulatorRequests: () => readonly EmulatorRequest[];
  /** When the probe of an environment was reported running (epoch ms), if it was. */
  readonly probeRunningAt: (environmentId: string) => number | undefined;
  readonly timeoutMs?: number;
  readonly onSample?: (sample: LifecycleSample, index: number) => void;
}

export async function measureSequentialLifecycles(
  local: LocalControlPlane,
  options: SequentialOptions,
): Promise<LifecycleSample[]> {
  const owner = principal('bench-sequential');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const samples: LifecycleSample[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const createdAt = performance.timeOrigin + performance.now();
    const created = await call(local.apiUrl, 'POST', '/environments', {
      body: { name: `seq-${i}`, ttlMinutes: 60 },
      owner,
    });
    if (created.status !== 202) throw new Error(`POST: ${created.status} ${JSON.stringify(created.body)}`);
    const id = String(created.body.id);
    const provision = await executionEnded(local.stepFunctions, id, 'provision', { since: createdAt, timeoutMs });
    const readyAt = provision.stopDate?.getTime() ?? Date.now();
    const ready = await call(local.apiUrl, 'GET', `/environments/${id}`, { owner });
    if (ready.body.status !== 'READY') {
      throw new Error(`${id} ended provisioning ${String(ready.body.status)}: ${String(ready.body.failureReason)}`);
    }

    const deletedAt = performance.timeOrigin + performance.now();
    const removal = await call(local.apiUrl, 'DELETE', `/environments/${id}`, { owner });
    if (removal.status !== 202) throw new Error(`DELETE: ${removal.status} ${JSON.stringify(removal.body)}`);
    const teardown = await executionEnded(local.stepFunctions, id, 'teardown', { since: deletedAt, timeoutMs });
    const goneAt = teardown.stopDate?.getTime() ?? Date.now();
    const gone = await call(local.apiUrl, 'GET', `/environments/${id}`, { owner });

    const requests = options.emulatorRequests();
    const sample: LifecycleSample = {
      environmentId: id,
      create: phase([createdAt, readyAt], provision, requests, options.waitStates, options.probeRunningAt(id)),
      delete: phase([deletedAt, goneAt], teardown, requests, options.waitStates, undefined),
      finalStatus: String(gone.body.status),
      executions: [provision, teardown],
      apiMs: created.ms + removal.ms,
    };
    samples.push(sample);
    options.onSample?.(sample, i);
  }
  return samples;
}

export function summarizeLifecycles(samples: readonly LifecycleSample[]) {
  const of = (pick: (s: LifecycleSample) => number) => summarize(samples.map(pick));
  return {
    environments: samples.length,
    allDeleted: samples.every((s) => s.finalStatus === 'DELETED'),
    create: {
      wallMs: of((s) => s.create.wallMs),
      emulatorMs: of((s) => s.create.emulatorMs),
      waitMs: of((s) => s.create.waitMs),
      probeStartMs: of((s) => s.create.probeStartMs),
      controlPlaneMs: of((s) => s.create.controlPlaneMs),
      emulatorRequests: of((s) => s.create.emulatorRequests),
    },
    delete: {
      wallMs: of((s) => s.delete.wallMs),
      emulatorMs: of((s) => s.delete.emulatorMs),
      waitMs: of((s) => s.delete.waitMs),
      probeStartMs: of((s) => s.delete.probeStartMs),
      controlPlaneMs: of((s) => s.delete.controlPlaneMs),
      emulatorRequests: of((s) => s.delete.emulatorRequests),
    },
  };
}
