import type { Clock } from '../domain/ports.js';

export type { Clock };

/** The clock every domain module receives, so tests can fix time. */
export const systemClock: Clock = { now: () => new Date() };
