/** The clock every domain module receives, so tests can fix time. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
