import { describe, expect, it } from 'vitest';
import { modelWait, pollsFor } from '../../bench/polling-model.js';

describe('polling versus events on AWS', () => {
  it('checks until the first poll at or after the stack completes', () => {
    expect(pollsFor(300, 15)).toBe(20);
    expect(pollsFor(301, 15)).toBe(21);
    expect(pollsFor(0, 15)).toBe(1);
    expect(() => pollsFor(10, 0)).toThrow(RangeError);
  });

  it('adds half a poll interval on average (a whole one at most), against the events’ delivery latency', () => {
    const model = modelWait({ pollSeconds: 15, stackSeconds: 300, checkSeconds: 0.2, eventLatencySeconds: 1 });

    expect(model.polling.meanAddedSeconds).toBeCloseTo(7.7, 10);
    expect(model.polling.maxAddedSeconds).toBeCloseTo(15.2, 10);
    expect(model.events.meanAddedSeconds).toBe(1);
    expect(model.meanSavedSeconds).toBeCloseTo(6.7, 10);
  });

  it('costs three transitions and one invocation per poll, and a fixed amount with events', () => {
    const model = modelWait({ pollSeconds: 15, stackSeconds: 240, checkSeconds: 0, eventLatencySeconds: 1 });

    expect(model.polling).toMatchObject({ polls: 16, stateTransitions: 48, lambdaInvocations: 16 });
    expect(model.events).toMatchObject({ stateTransitions: 2, lambdaInvocations: 1 });
  });
});
