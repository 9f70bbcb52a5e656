import { describe, expect, it } from 'vitest';
import { createEnvironment, deleteEnvironment, extendEnvironment } from '../../../functions/domain/environments.js';
import { atExpression } from '../../../functions/domain/expiry-timer.js';
import { warnOfExpiry } from '../../../functions/domain/expiry-warnings.js';
import { fakeDeps } from '../api/support/fakes.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const warnings = (schedules: Map<string, { ScheduleExpression?: string; Target?: { Input?: string } }>, id: string) =>
  Object.fromEntries(
    [...schedules.entries()]
      .filter(([key]) => key.includes(`${id}-warn-`))
      .map(([key, s]) => [key.split('/')[1], s.ScheduleExpression]),
  );

describe('expiry warnings', () => {
  it('schedules one warning per lead time that fits in the TTL, moves them on extend and cancels them on delete', async () => {
    // Prepare
    const { deps, clock, scheduler } = fakeDeps(NOW);

    // Act: 30 minutes (only the 5-minute warning fits: 30 would fire at creation), then extended to 60 minutes, then deleted
    const env = await createEnvironment(deps, { owner: 'alice', body: { name: 'demo', ttlMinutes: 30 } });
    const created = warnings(scheduler.schedules, env.id);
    clock.advanceMinutes(10);
    const extended = await extendEnvironment(deps, 'alice', env.id, 60);
    const moved = warnings(scheduler.schedules, env.id);
    await deleteEnvironment(deps, 'alice', env.id);

    // Assess
    expect(created).toEqual({ [`dsenv-${env.id}-warn-5m`]: 'at(2026-03-01T12:25:00)' });
    const expiry = Date.parse(extended.expiresAt);
    expect(moved).toEqual({
      [`dsenv-${env.id}-warn-30m`]: atExpression(new Date(expiry - 30 * 60_000).toISOString()),
      [`dsenv-${env.id}-warn-5m`]: atExpression(new Date(expiry - 5 * 60_000).toISOString()),
    });
    const target = scheduler.schedules.get(`dsenv/dsenv-${env.id}-warn-5m`)?.Target;
    expect(target).toBeUndefined();
    expect(warnings(scheduler.schedules, env.id)).toEqual({});
  });

  it('hands the warning function the environment, the lead time and the expiry it warns of', async () => {
    const { deps, scheduler } = fakeDeps(NOW);

    const env = await createEnvironment(deps, { owner: 'alice', body: { name: 'demo', ttlMinutes: 60 } });

    const target = scheduler.schedules.get(`dsenv/dsenv-${env.id}-warn-30m`)?.Target;
    expect(target?.Arn).toBe(deps.config.warningFunctionArn);
    expect(JSON.parse(target?.Input ?? '{}')).toEqual({
      environmentId: env.id,
      minutesLeft: 30,
      expiresAt: env.expiresAt,
    });
  });

  it('records expiring-soon on the timeline of a live environment, and nothing for a moved expiry or a deleted one', async () => {
    // Prepare
    const { deps, registry } = fakeDeps(NOW);
    const env = await createEnvironment(deps, { owner: 'alice', body: { name: 'demo', ttlMinutes: 60 } });
    const appended: unknown[] = [];
    const port = {
      get: (id: string) => registry.get(id),
      putTimeline: async (_id: string, e: readonly unknown[]) => void appended.push(...e),
    };
    const firedAt = new Date(Date.parse(env.expiresAt) - 30 * 60_000);
    const version = String((await registry.get(env.id))?.version).padStart(10, '0');

    // Act: the 30-minute warning fires twice (delivery is at least once), then a stale one, then one after delete
    const warned = await warnOfExpiry(
      port,
      { environmentId: env.id, minutesLeft: 30, expiresAt: env.expiresAt },
      firedAt,
    );
    const again = await warnOfExpiry(port, { environmentId: env.id, minutesLeft: 30, expiresAt: env.expiresAt }, NOW);
    const stale = await warnOfExpiry(
      port,
      { environmentId: env.id, minutesLeft: 30, expiresAt: NOW.toISOString() },
      NOW,
    );
    await deleteEnvironment(deps, 'alice', env.id);
    const gone = await warnOfExpiry(port, { environmentId: env.id, minutesLeft: 5, expiresAt: env.expiresAt }, NOW);

    // Assess: one key for both firings (the second overwrites the first), after the version's own entries
    expect([warned, again, stale, gone]).toEqual([
      { warned: true },
      { warned: true },
      { warned: false },
      { warned: false },
    ]);
    const key = `${version}#warn-${firedAt.toISOString()}`;
    expect(appended).toEqual([
      {
        eventKey: key,
        event: { at: firedAt.toISOString(), type: 'expiring-soon', expiresAt: env.expiresAt, minutesLeft: 30 },
      },
      {
        eventKey: key,
        event: { at: NOW.toISOString(), type: 'expiring-soon', expiresAt: env.expiresAt, minutesLeft: 30 },
      },
    ]);
    expect(key > `${version}#999`).toBe(true);
  });
});
