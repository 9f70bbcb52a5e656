import { describe, expect, it } from 'vitest';
import { heartbeatChecksFor, modelWait, pollsFor } from '../../bench/polling-model.js';

describe('polling versus events on AWS', () => {
  it('checks until the first poll at or after the stack completes', () => {
    expect(pollsFor(300, 15)).toBe(20);
    expect(pollsFor(301, 15)).toBe(21);
    expect(pollsFor(0, 15)).toBe(1);
    expect(() => pollsFor(10, 0)).toThrow(RangeError);
  });

  it('adds half a poll interval on average (a whole one at most), against the event and the handler’s round trip', () => {
    const model = modelWait({ pollSeconds: 15, stackSeconds: 300, checkSeconds: 0.2, eventLatencySeconds: 1 });

    expect(model.polling.meanAddedSeconds).toBeCloseTo(7.7, 10);
    expect(model.polling.maxAddedSeconds).toBeCloseTo(15.2, 10);
    expect(model.events.meanAddedSeconds).toBeCloseTo(1.2, 10);
    expect(model.events.maxAddedSeconds).toBeCloseTo(1.2, 10);
    expect(model.meanSavedSeconds).toBeCloseTo(6.5, 10);
  });

  it('costs three transitions and one invocation per poll, and one of each per event-driven wait', () => {
    const model = modelWait({
      pollSeconds: 15,
      stackSeconds: 180,
      checkSeconds: 0,
      eventLatencySeconds: 1,
      heartbeatSeconds: 480,
    });

    expect(model.polling).toMatchObject({ polls: 12, stateTransitions: 36, lambdaInvocations: 12 });
    expect(model.events).toMatchObject({ heartbeatChecks: 0, stateTransitions: 1, lambdaInvocations: 1 });
  });

  it('adds a look at the stack for every heartbeat that passes while CloudFormation works', () => {
    expect(heartbeatChecksFor(300, 480)).toBe(0);
    expect(heartbeatChecksFor(1000, 480)).toBe(2);
    expect(
      modelWait({ pollSeconds: 15, stackSeconds: 1000, checkSeconds: 0, eventLatencySeconds: 1, heartbeatSeconds: 480 })
        .events,
    ).toMatchObject({
      stateTransitions: 3,
      lambdaInvocations: 3,
    });
    expect(() => heartbeatChecksFor(10, 0)).toThrow(RangeError);
  });
});
