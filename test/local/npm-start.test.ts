import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { emulatorFaults } from '../../local/emulator-faults.js';
import { freePort, type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { REPO_ROOT } from '../../local/lambda-runtime.js';
import { type LaunchedProcess, launchLauncher } from './launcher-process.js';
import type { ApiEnvironment } from './local-api.js';

/**
 * `npm start` as an operator and a catalog user meet it: the launcher as its own process, what it prints, the
 * machine's real `aws servicecatalog` CLI (v1) driven with the endpoint and ids it printed, and its log.
 * One launcher for the file (log level INFO, so the log shows what an operator would read).
 */
const run = promisify(execFile);
/** The access key id the CLI signs with: the caller is `arn:aws:iam::<account>:user/demo`. */
const CLI_USER = 'arn:aws:iam::123456789012:user/demo';
const CLI_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  AWS_ACCESS_KEY_ID: 'demo',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

interface Printed {
  catalog: string;
  productId: string;
  artifactId: string;
  pathId: string;
  provisionLine: string;
}

/** The endpoint, ids and copy-paste provision line from the launcher's ready message. */
function printed(output: string): Printed {
  const catalog = /catalog: +(http:\/\/\S+)/.exec(output)?.[1];
  const ids = /product: (\S+) +artifact: (\S+) +launch path: (\S+)/.exec(output);
  const provisionLine = output.split('\n').find((l) => l.includes(' provision-product '));
  if (!catalog || !ids || !provisionLine) throw new Error(`the ready message lacks the catalog:\n${output}`);
  return { catalog, productId: ids[1] ?? '', artifactId: ids[2] ?? '', pathId: ids[3] ?? '', provisionLine };
}

type Json = Record<string, unknown>;

describe('npm start: the catalog through the real aws CLI, and a log an operator can read', () => {
  let emulator: RunningEmulator;
  let launched: LaunchedProcess;
  let sc: Printed;
  let cfn: CloudFormationClient;

  const aws = async (...args: string[]): Promise<Json> => {
    const { stdout } = await run(
      'aws',
      ['servicecatalog', ...args, '--endpoint-url', sc.catalog, '--region', 'us-east-1', '--output', 'json'],
      { env: CLI_ENV },
    );
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Json);
  };
  const awsFails = async (...args: string[]): Promise<string> => {
    try {
      await aws(...args);
    } catch (error) {
      return String((error as { stderr?: string }).stderr);
    }
    throw new Error(`aws servicecatalog ${args.join(' ')} succeeded`);
  };
  const api = async (method: string, route: string): Promise<Json> => {
    const res = await fetch(`${launched.apiUrl}${route}`, { method, headers: { 'x-principal': CLI_USER } });
    return (await res.json()) as Json;
  };
  async function until<T>(what: string, get: () => Promise<T>, done: (v: T) => boolean, ms = 90_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await get();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}\n${launched.output()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const record = (id: string) =>
    until(
      `record ${id}`,
      () => aws('describe-record', '--id', id),
      (r) => ['SUCCEEDED', 'FAILED'].includes(String((r.RecordDetail as Json).Status)),
    );
  const environment = (id: string, statuses: string[]) =>
    until(
      `environment ${id}`,
      async () => (await api('GET', `/environments/${id}`)) as unknown as ApiEnvironment & Json,
      (e) => statuses.includes(e.status),
    );

  beforeAll(async () => {
    emulator = await startEmulator();
    launched = await launchLauncher(emulator, { env: { LOG_LEVEL: 'INFO' } });
    sc = printed(launched.output());
    cfn = new CloudFormationClient(emulatorClientConfig(emulator.endpoint));
  }, 120_000);
  afterAll(async () => {
    cfn?.destroy();
    if (launched?.child.exitCode === null) {
      const exited = new Promise((r) => launched.child.once('exit', r));
      launched.child.kill('SIGTERM');
      await exited;
    }
    await emulator?.stop();
  });

  it('answers the end-user discovery calls with the product template’s parameters and constraints', async () => {
    const search = await aws('search-products');
    const paths = await aws('list-launch-paths', '--product-id', sc.productId);
    const artifacts = await aws('list-provisioning-artifacts', '--product-id', sc.productId);
    const parameters = await aws(
      'describe-provisioning-parameters',
      '--product-id',
      sc.productId,
      '--provisioning-artifact-id',
      sc.artifactId,
      '--path-id',
      sc.pathId,
    );

    expect(search.ProductViewSummaries).toEqual([
      expect.objectContaining({ ProductId: sc.productId, Name: 'dsenv dual-stack container environment' }),
    ]);
    expect(paths.LaunchPathSummaries).toEqual([
      expect.objectContaining({
        Id: sc.pathId,
        Name: 'dsenv environments',
        ConstraintSummaries: [expect.objectContaining({ Type: 'LAUNCH' })],
      }),
    ]);
    expect(artifacts.ProvisioningArtifactDetails).toEqual([
      expect.objectContaining({ Id: sc.artifactId, Active: true }),
    ]);
    const byKey = Object.fromEntries(
      (parameters.ProvisioningArtifactParameters as Json[]).map((p) => [p.ParameterKey, p]),
    );
    expect(byKey.TtlMinutes).toMatchObject({
      ParameterType: 'Number',
      DefaultValue: '240',
      ParameterConstraints: {
        MinValue: '1',
        MaxValue: '10080',
        ConstraintDescription: expect.stringContaining('1 to 10080'),
      },
    });
    expect(byKey.EnvironmentName).toMatchObject({ ParameterConstraints: { AllowedPattern: '^[a-z][a-z0-9-]{0,30}$' } });
    expect(await awsFails('create-portfolio', '--display-name', 'x', '--provider-name', 'y')).toMatch(
      /UnknownOperationException.*CreatePortfolio.*supported operations: .*ProvisionProduct/s,
    );
  });

  it('refuses a parameter outside its constraint with InvalidParametersException and starts nothing', async () => {
    const stderr = await awsFails(
      'provision-product',
      '--product-id',
      sc.productId,
      '--provisioning-artifact-id',
      sc.artifactId,
      '--provisioned-product-name',
      'too-long',
      '--provisioning-parameters',
      'Key=EnvironmentName,Value=too-long',
      'Key=TtlMinutes,Value=99999',
    );

    expect(stderr).toMatch(
      /InvalidParametersException.*TtlMinutes.*must be a whole number of minutes from 1 to 10080/s,
    );
    expect((await aws('search-provisioned-products')).ProvisionedProducts).toEqual([]);
    expect((await api('GET', '/environments')).items).toEqual([]);
  });

  it('walks provision → describe-record → update (TTL) → terminate with the printed command, and leaves nothing', async () => {
    // The printed line, as copied into a shell (it signs as `demo`).
    const { stdout } = await run('bash', ['-c', sc.provisionLine], {
      env: {
        PATH: CLI_ENV.PATH,
        HOME: CLI_ENV.HOME,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    const launch = (JSON.parse(stdout) as { RecordDetail: Json }).RecordDetail;
    const provisioned = await record(String(launch.RecordId));
    const outputs = Object.fromEntries((provisioned.RecordOutputs as Json[]).map((o) => [o.OutputKey, o.OutputValue]));
    const productId = String(launch.ProvisionedProductId);
    const id = String(outputs.EnvironmentId);
    const ready = await environment(id, ['READY', 'FAILED']);

    expect((provisioned.RecordDetail as Json).Status).toBe('SUCCEEDED');
    expect(outputs).toMatchObject({ EnvironmentId: expect.stringMatching(/^env-/), ExpiresAt: ready.expiresAt });
    expect(String(outputs.CloudformationStackARN)).toContain(`SC-123456789012-${productId}`);
    expect(ready).toMatchObject({ status: 'READY', owner: CLI_USER, source: 'service-catalog' });
    const detail = await aws('describe-provisioned-product', '--id', productId);
    expect((detail.ProvisionedProductDetail as Json).Status).toBe('AVAILABLE');

    const updated = await aws(
      'update-provisioned-product',
      '--provisioned-product-id',
      productId,
      '--product-id',
      sc.productId,
      '--provisioning-artifact-id',
      sc.artifactId,
      '--provisioning-parameters',
      'Key=TtlMinutes,Value=30',
    );
    const update = await record(String((updated.RecordDetail as Json).RecordId));
    const extended = await api('GET', `/environments/${id}`);
    const newOutputs = await aws('get-provisioned-product-outputs', '--provisioned-product-id', productId);

    expect((update.RecordDetail as Json).Status).toBe('SUCCEEDED');
    expect(Date.parse(String(extended.expiresAt))).toBeGreaterThan(Date.parse(ready.expiresAt) + 20 * 60_000);
    expect(newOutputs.Outputs).toContainEqual(
      expect.objectContaining({ OutputKey: 'ExpiresAt', OutputValue: extended.expiresAt }),
    );

    // The teardown meets a DELETE_FAILED once (as AWS sometimes does with a lingering resource), then succeeds.
    await emulatorFaults(emulator.endpoint).arm({ failDelete: { stackName: String(ready.stackName), times: 1 } });
    const terminated = await aws('terminate-provisioned-product', '--provisioned-product-id', productId);
    const termination = await record(String((terminated.RecordDetail as Json).RecordId));
    const deleted = await environment(id, ['DELETED', 'FAILED']);

    expect((termination.RecordDetail as Json).Status).toBe('SUCCEEDED');
    expect(deleted.status).toBe('DELETED');
    expect(deleted.teardown).toMatchObject({ remaining: [], deletedAt: expect.any(String), attempts: 2 });
    expect(await awsFails('describe-provisioned-product', '--id', productId)).toMatch(/ResourceNotFoundException/);
    expect((await aws('scan-provisioned-products')).ProvisionedProducts).toEqual([]);
    const history = (await aws('list-record-history')).RecordDetails as Json[];
    expect(history.map((r) => [r.RecordType, r.Status])).toEqual([
      ['TERMINATE_PROVISIONED_PRODUCT', 'SUCCEEDED'],
      ['UPDATE_PROVISIONED_PRODUCT', 'SUCCEEDED'],
      ['PROVISION_PRODUCT', 'SUCCEEDED'],
    ]);
    const stacks = await cfn.send(new ListStacksCommand({}));
    expect((stacks.StackSummaries ?? []).filter((s) => s.StackStatus !== 'DELETE_COMPLETE')).toEqual([]);
  }, 240_000);

  it('logged the handled DELETE_FAILED as one WARN line with attempt and reason, and no ERROR or stack trace', () => {
    const lines = launched.output().split('\n');

    expect(lines.filter((l) => /"level":"ERROR"|\bERROR\b/.test(l))).toEqual([]);
    expect(lines.filter((l) => /^\s+at .+:\d+:\d+\)?$/.test(l) || /\\n\s+at /.test(l) || /"stack":/.test(l))).toEqual(
      [],
    );
    const retried = lines.filter((l) => l.includes('stack delete failed; deleting it again'));
    expect(retried).toHaveLength(1);
    expect(JSON.parse(retried[0] ?? '{}')).toMatchObject({ level: 'WARN', attempt: 2, reason: expect.any(String) });
  });

  it('still logs ERROR when a teardown fails for good (the operator must act)', async () => {
    const created = await fetch(`${launched.apiUrl}/environments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-principal': CLI_USER },
      body: JSON.stringify({ name: 'stuck', ttlMinutes: 30 }),
    });
    const { id } = (await created.json()) as { id: string };
    const ready = await environment(id, ['READY', 'FAILED']);
    await emulatorFaults(emulator.endpoint).arm({ failDelete: { stackName: String(ready.stackName) } });

    await api('DELETE', `/environments/${id}`);
    const failed = await environment(id, ['FAILED', 'DELETED']);

    expect(failed.status).toBe('FAILED');
    const errors = launched
      .output()
      .split('\n')
      .filter((l) => l.includes('"level":"ERROR"'));
    expect(errors.some((l) => l.includes('StackOperationFailedError') && l.includes(id))).toBe(true);
  }, 120_000);
});

describe('npm start with an emulator that is not the project’s', () => {
  async function startFails(endpoint: string): Promise<{ code: number | null; output: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'local', 'start.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL: endpoint, PORT: '0', NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    return { code, output, ms: Date.now() - started };
  }

  it('exits non-zero within 15 s naming the missing patches when AWS_ENDPOINT_URL is a plain moto_server', async () => {
    const plain = await startEmulator({ extended: false });
    try {
      const { code, output, ms } = await startFails(plain.endpoint);

      expect(code).not.toBe(0);
      expect(ms).toBeLessThan(15_000);
      expect(output).toMatch(
        /not the project's extended moto.*complete_stack_delete.*alb_dualstack|alb_dualstack.*complete_stack_delete/s,
      );
      expect(output).toContain('python3 local/emulator/server.py');
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      await plain.stop();
    }
  }, 60_000);

  it('exits non-zero within seconds when nothing answers at AWS_ENDPOINT_URL', async () => {
    const port = await freePort();
    const { code, output, ms } = await startFails(`http://127.0.0.1:${port}`);

    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(15_000);
    expect(output).toContain(`no emulator answers at http://127.0.0.1:${port} (ECONNREFUSED)`);
  }, 60_000);
});
