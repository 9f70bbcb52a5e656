import { describe, expect, it } from 'vitest';
import { loadPrices } from '../../bench/blueprint-cost.js';
import { breakDown, stateIntervals } from '../../bench/lifecycle.js';
import { countExecution, countLifecycle, priceLifecycle } from '../../bench/lifecycle-cost.js';

const entered = (stateName: string, timestamp = 0) => ({ type: 'StateEntered', stateName, timestamp });
const exited = (stateName: string, timestamp = 0) => ({ type: 'StateExited', stateName, timestamp });

const provision = {
  events: [
    { type: 'ExecutionStarted', timestamp: 0 },
    entered('Route'),
    exited('Route'),
    entered('CreateStack'),
    { type: 'StateRetried', stateName: 'CreateStack', timestamp: 0 },
    exited('CreateStack'),
    entered('WaitForCreate', 10),
    exited('WaitForCreate', 110),
    entered('CheckCreate'),
    exited('CheckCreate'),
    entered('WaitForCreate', 200),
    exited('WaitForCreate', 300),
    entered('CheckCreate'),
    exited('CheckCreate'),
    entered('ProbeIpv6'),
    exited('ProbeIpv6'),
    entered('Validate'),
    exited('Validate'),
    entered('Ready'),
    exited('Ready'),
    { type: 'ExecutionSucceeded', timestamp: 0 },
  ],
  taskInvocations: { CreateStack: 2, CheckCreate: 2, ProbeIpv6: 1, Validate: 1 },
};
const teardown = {
  events: [entered('Route'), entered('StartTeardown'), entered('TornDown')],
  taskInvocations: { StartTeardown: 1 },
};

describe('cost per lifecycle', () => {
  it('bills one transition per state entered and per retry, and counts every task attempt', () => {
    const count = countExecution(provision);

    expect(count.stateTransitions).toBe(10);
    expect(count.taskInvocations).toBe(6);
    expect(count.entered).toMatchObject({ WaitForCreate: 2, CheckCreate: 2 });
  });

  it('adds the API requests and the stack events to the task invocations (the IPv6 prober is a task)', () => {
    const count = countLifecycle([provision, teardown], {
      apiRequests: 2,
      lambdaMs: 2000,
      memoryMb: 512,
    });

    expect(count.stateTransitions).toBe(13);
    expect(count.lambdaInvocationsBy).toEqual({ tasks: 7, api: 2, stackEvents: 0 });
    expect(count.lambdaInvocations).toBe(9);
    const withEvents = countLifecycle([provision, teardown], {
      apiRequests: 1,
      stackEvents: 2,
      lambdaMs: 2000,
      memoryMb: 512,
    });
    expect(withEvents.lambdaInvocationsBy).toEqual({ tasks: 7, api: 1, stackEvents: 2 });
    expect(withEvents.lambdaInvocations).toBe(10);
    expect(count.lambdaGbSeconds).toBe(1);
  });

  it('converts counts to dollars with the published per-transition and per-request prices', () => {
    const prices = loadPrices();
    const count = { stateTransitions: 1000, lambdaInvocations: 1_000_000, lambdaGbSeconds: 0, apiRequests: 0 };

    const cost = priceLifecycle({ ...count, lambdaInvocationsBy: { tasks: 0, api: 0, stackEvents: 0 } }, prices);

    expect(cost.lines[0]?.usd).toBeCloseTo(0.025, 10);
    expect(cost.lines[1]?.usd).toBeCloseTo(0.2, 10);
    expect(cost.totalUsd).toBeCloseTo(0.225, 10);
  });

  it('refuses to price with a price file that lacks a usage price', () => {
    const prices = { ...loadPrices(), usage: {} };
    const count = countLifecycle([], { apiRequests: 1, lambdaMs: 0, memoryMb: 128 });

    expect(() => priceLifecycle(count, prices)).toThrow(/stepFunctionsStateTransition/);
  });
});

describe('lifecycle time breakdown', () => {
  it('reads the visits of the Wait states from the event log', () => {
    expect(stateIntervals(provision, new Set(['WaitForCreate']))).toEqual([
      [10, 110],
      [200, 300],
    ]);
  });

  it('splits wall time without counting overlaps twice: emulator, then waits, then the probe start', () => {
    const parts = breakDown(
      [0, 1000],
      [
        [0, 100],
        [50, 150],
      ],
      [[100, 300]],
      [[250, 700]],
    );

    expect(parts).toEqual({ wallMs: 1000, emulatorMs: 150, waitMs: 150, probeStartMs: 400, controlPlaneMs: 300 });
  });
});
