import { DynamoDBClient, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { isListening } from '../../local/loopback.js';
import { type LaunchedProcess, launchLauncher } from './launcher-process.js';
import { type ApiEnvironment, call, getEnvironment, processAlive, urlListening, waitForStatus } from './local-api.js';

const launch = (emulator: RunningEmulator) => launchLauncher(emulator);

function terminate(launched: LaunchedProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (launched.child.exitCode !== null) return resolve(launched.child.exitCode);
    launched.child.once('exit', (code) => resolve(code));
    launched.child.kill('SIGTERM');
  });
}

describe('local launcher stop and restart', () => {
  let emulator: RunningEmulator;
  let second: LaunchedProcess | undefined;

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    if (second) await terminate(second);
    await emulator.stop();
  });

  it('leaves nothing listening when stopped, then resumes an in-flight environment and expires a due one', async () => {
    const first = await launch(emulator);
    const due = (await call(first.apiUrl, 'POST', '/environments', { name: 'due', ttlMinutes: 1 }))
      .body as unknown as ApiEnvironment;
    const ready = await waitForStatus(first.apiUrl, due.id, ['READY'], 60_000);
    const dueUrls = ready.environment.outputs.localUrls ?? [];
    const inFlight = await call(first.apiUrl, 'POST', '/environments', { name: 'in-flight', ttlMinutes: 30 });
    expect(inFlight.status).toBe(202);
    const inFlightId = String(inFlight.body.id);

    const exitCode = await terminate(first);

    expect(exitCode).toBe(0);
    const apiPort = Number(new URL(first.apiUrl).port);
    for (const host of ['127.0.0.1', '::1']) {
      expect(await isListening(host, apiPort)).toBe(false);
      expect(await isListening(host, first.listenerPort)).toBe(false);
    }
    // The environment really was in flight: its record says so, and its execution died with the process.
    const dynamo = new DynamoDBClient(emulatorClientConfig(emulator.endpoint));
    const table = (await dynamo.send(new ListTablesCommand({}))).TableNames?.find((n) =>
      n.includes('RegistryEnvironments'),
    );
    const record = await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: inFlightId } } }));
    expect(['CREATING', 'VALIDATING']).toContain(record.Item?.status?.S);
    expect(dueUrls).toHaveLength(2);
    for (const url of dueUrls) expect(await urlListening(url)).toBe(false);

    // The due environment expires while nothing runs; then a new launcher starts on the same emulator.
    const wait = Date.parse(due.expiresAt) + 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    second = await launch(emulator);

    const resumed = await waitForStatus(second.apiUrl, inFlightId, ['READY', 'FAILED'], 90_000);
    const expired = await waitForStatus(second.apiUrl, due.id, ['DELETED', 'FAILED'], 60_000);

    expect(resumed.environment.status).toBe('READY');
    expect(resumed.environment.validation?.passed).toBe(true);
    for (const url of resumed.environment.outputs.localUrls ?? []) {
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
    expect(expired.environment.status).toBe('DELETED');
    expect((await getEnvironment(second.apiUrl, due.id)).outputs.localUrls).toBeUndefined();
    const pids = /pid (\d+)/g;
    const probePids = [...second.output().matchAll(pids)].map((m) => Number(m[1]));
    expect(probePids.length).toBeGreaterThan(0);

    await terminate(second);
    for (const pid of probePids) expect(processAlive(pid)).toBe(false);
    second = undefined;
  }, 300_000);
});
