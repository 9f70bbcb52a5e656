import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAME } from '../../functions/shared/telemetry.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { fastLocalOptions } from './local-api.js';

/**
 * Log correlation in local mode: two lifecycles run at once in the one process, and every line their workflow
 * tasks write carries that environment's id, owner and execution ARN, never the other one's (each invocation has
 * its own log keys, as on Lambda); the API lines about an environment carry its id and the caller.
 */
interface LogLine {
  service?: string;
  function_name?: string;
  message?: string;
  environmentId?: string;
  owner?: string;
  executionArn?: string;
}

const TASK_FUNCTIONS = new Set([
  'dsenv-create-stack',
  'dsenv-check-stack',
  'dsenv-validate-environment',
  'dsenv-start-teardown',
  'dsenv-finish-teardown',
  'dsenv-record-failure',
]);
const OWNERS = ['arn:aws:iam::123456789012:user/ana', 'arn:aws:iam::123456789012:user/ben'];

describe('local mode: log correlation', () => {
  let local: LocalControlPlane;
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);

  beforeAll(async () => {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    local = await startLocalControlPlane(fastLocalOptions({ logLevel: 'INFO' }));
  }, 120_000);
  afterAll(async () => {
    process.stdout.write = write;
    await local?.stop();
  });

  const as = (owner: string, method: string, path: string, body?: unknown) =>
    fetch(`${local.apiUrl}${path}`, {
      method,
      headers: { 'x-principal': owner, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  async function settle(owner: string, id: string, statuses: string[]): Promise<string> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { status } = (await (await as(owner, 'GET', `/environments/${id}`)).json()) as { status: string };
      if (statuses.includes(status) || Date.now() > deadline) return status;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const lines = (): LogLine[] =>
    written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => l.service === SERVICE_NAME);

  it('puts the environment id, owner and execution ARN on every line of two concurrent lifecycles', async () => {
    const created = await Promise.all(
      OWNERS.map(async (owner, i) => {
        const res = await as(owner, 'POST', '/environments', { name: `corr-${i}`, ttlMinutes: 30 });
        expect(res.status).toBe(202);
        return ((await res.json()) as { id: string }).id;
      }),
    );
    const ready = await Promise.all(created.map((id, i) => settle(OWNERS[i] as string, id, ['READY', 'FAILED'])));
    expect(ready).toEqual(['READY', 'READY']);
    await Promise.all(created.map((id, i) => as(OWNERS[i] as string, 'DELETE', `/environments/${id}`)));
    // A rejected request about an environment, logged by the API with its keys.
    expect((await as(OWNERS[0] as string, 'PATCH', `/environments/${created[0]}`, { ttlMinutes: 0 })).status).toBe(400);
    const deleted = await Promise.all(created.map((id, i) => settle(OWNERS[i] as string, id, ['DELETED', 'FAILED'])));
    expect(deleted).toEqual(['DELETED', 'DELETED']);

    const taskLines = lines().filter((l) => TASK_FUNCTIONS.has(l.function_name ?? ''));
    for (const [i, id] of created.entries()) {
      const own = taskLines.filter((l) => l.environmentId === id);
      // CreateStack, Validate, StartTeardown, FinishTeardown: one line each at least (the stack waits are callbacks
      // resumed by stack events; CheckCreate/CheckDelete run only when an event is late).
      expect(own.length, id).toBeGreaterThanOrEqual(4);
      expect(new Set(own.map((l) => l.function_name))).toEqual(
        new Set(['dsenv-create-stack', 'dsenv-validate-environment', 'dsenv-start-teardown', 'dsenv-finish-teardown']),
      );
      for (const line of own) {
        expect(line.owner).toBe(OWNERS[i]);
        expect(line.executionArn).toMatch(new RegExp(`:execution:[^:]+:${id}-(provision|teardown)-\\d+$`));
      }
    }
    expect(taskLines.filter((l) => !created.includes(l.environmentId ?? ''))).toEqual([]);
    const rejected = lines().find((l) => l.message === 'request rejected');
    expect(rejected).toMatchObject({ environmentId: created[0], owner: OWNERS[0] });
  });
});
