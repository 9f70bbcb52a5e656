import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { assertInvariants } from './invariants.js';
import { type LaunchedProcess, launchLauncher } from './launcher-process.js';
import { call, processAlive, waitForStatus } from './local-api.js';

const launch = (emulator: RunningEmulator) => launchLauncher(emulator, { detached: true });

/** SIGKILL to the launcher's whole process group: no handler runs, nothing is cleaned up (a crashed host). */
function kill(launched: LaunchedProcess): Promise<void> {
  return new Promise((resolve) => {
    if (launched.child.exitCode !== null || launched.child.signalCode !== null) return resolve();
    launched.child.once('exit', () => resolve());
    process.kill(-(launched.child.pid as number), 'SIGKILL');
  });
}

/** Whether `pid` still runs (a zombie left for an init that does not reap counts as gone), after up to 3 s. */
async function stillRunning(pid: number): Promise<boolean> {
  const deadline = Date.now() + 3000;
  for (;;) {
    let zombie = false;
    try {
      zombie = /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // no /proc entry: gone (or not Linux; processAlive decides)
    }
    if (zombie || !processAlive(pid)) return false;
    if (Date.now() > deadline) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('launcher killed mid-lifecycle (SIGKILL) and restarted', () => {
  let emulator: RunningEmulator;
  let running: LaunchedProcess | undefined;

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    if (running) await kill(running);
    await emulator?.stop();
  });

  it('finishes an interrupted provisioning and an interrupted teardown after a restart, keeping every invariant', async () => {
    const first = await launch(emulator);
    running = first;
    const leaving = String((await call(first.apiUrl, 'POST', '/environments', { name: 'leaving' })).body.id);
    await waitForStatus(first.apiUrl, leaving, ['READY'], 60_000);
    const probePids = [...first.output().matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    const arriving = String((await call(first.apiUrl, 'POST', '/environments', { name: 'arriving' })).body.id);
    expect((await call(first.apiUrl, 'DELETE', `/environments/${leaving}`)).status).toBe(202);

    await kill(first);
    running = undefined;

    expect(probePids.length).toBeGreaterThan(0);
    for (const pid of probePids) expect(await stillRunning(pid)).toBe(false);
    const second = await launch(emulator);
    running = second;

    const arrived = await waitForStatus(second.apiUrl, arriving, ['READY', 'FAILED'], 90_000);
    const left = await waitForStatus(second.apiUrl, leaving, ['DELETED', 'FAILED'], 60_000);

    expect(arrived.environment.status).toBe('READY');
    expect(left.environment.status).toBe('DELETED');
    expect((await call(second.apiUrl, 'DELETE', `/environments/${arriving}`)).status).toBe(202);
    expect((await waitForStatus(second.apiUrl, arriving, ['DELETED', 'FAILED'], 60_000)).environment.status).toBe(
      'DELETED',
    );
    await assertInvariants(emulator.endpoint);
  }, 300_000);
});
