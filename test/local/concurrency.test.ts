import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import type { ExecutionRecord } from '../../local/step-functions-stand-in.js';
import { call, fastLocalOptions, getEnvironment } from './local-api.js';

/**
 * Environments requested at the same moment, against the real emulator: every one reaches READY through its own
 * execution, none is failed by another's work (a task timing out while the task stand-in starts the other
 * environments' probes, a write racing the API's) and none ends Superseded while still being created.
 */
const COUNT = 10;

async function provisionEnded(local: LocalControlPlane, id: string, timeoutMs: number): Promise<ExecutionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = local.stepFunctions.executions().find((e) => e.name.startsWith(`${id}-provision-`));
    if (execution && execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${id}: provisioning still ${execution ? 'running' : 'not started'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`local mode with ${COUNT} environments requested at once`, () => {
  let local: LocalControlPlane;

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({ config: { maxActivePerOwner: COUNT, regionCapacity: COUNT + 10 } }),
    );
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
  });

  it('brings every one to READY through an execution that ends in Ready, none timed out or superseded', async () => {
    const responses = await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        call(local.apiUrl, 'POST', '/environments', { name: `burst-${i}`, ttlMinutes: 30 }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(COUNT).fill(202));
    const ids = responses.map((r) => String(r.body.id));

    const executions = await Promise.all(ids.map((id) => provisionEnded(local, id, 50_000)));
    const environments = await Promise.all(ids.map((id) => getEnvironment(local.apiUrl, id)));

    const outcome = executions.map((e) => ({
      status: e.status,
      last: e.events.findLast((event) => event.type === 'StateEntered')?.stateName,
      timeouts: e.events.filter((event) => event.error === 'States.Timeout').length,
    }));
    expect(outcome).toEqual(Array(COUNT).fill({ status: 'SUCCEEDED', last: 'Ready', timeouts: 0 }));
    expect(environments.map((e) => e.status)).toEqual(Array(COUNT).fill('READY'));
    expect(new Set(local.liveEnvironments().map((e) => e.environmentId))).toEqual(new Set(ids));
  }, 60_000);
});
