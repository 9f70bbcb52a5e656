import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHistories } from './model/histories.js';
import { emptyStats } from './model/lifecycle-model.js';
import { LocalSystem } from './model/system.js';

/**
 * A short, seeded random history against the real local mode, checked against the model after every step and
 * after settling (test/local/model/): creates (valid, invalid, idempotent, by the API and the catalog), reads,
 * extensions, deletions, other owners' attempts and injected faults. The long version, with 1-minute expiries and
 * launcher restarts, is `npm run chaos -- --ops 500`. A failure prints the seed and the shrunk history to replay.
 */
const SEED = 87;

describe('random histories against local mode', () => {
  let system: LocalSystem;
  const stats = emptyStats();

  beforeAll(async () => {
    system = await LocalSystem.start();
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('keeps every promise of the model over a seeded history', async () => {
    const failure = await runHistories({
      system,
      stats,
      seed: SEED,
      histories: 1,
      commands: 20,
      shortTtl: false,
      restarts: false,
      timeLimitMs: 150_000,
      settleMs: 60_000,
      log: (line) => console.log(line),
    });

    expect(failure, failure).toBeUndefined();
    expect(stats.breaks).toEqual([]);
    expect(stats.orphans).toBe(0);
    expect(stats.ops.create ?? 0).toBeGreaterThan(0);
  }, 300_000);
});
