import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import {
  ProvisionProductCommand,
  ServiceCatalogClient,
  TerminateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import {
  type EmulatorRequest,
  type EmulatorTimingProxy,
  startEmulatorTimingProxy,
} from '../../../bench/emulator-timing-proxy.js';
import { emulatorClientConfig } from '../../../local/control-plane-resources.js';
import { type EmulatorFaults, emulatorFaults, type FaultSpec } from '../../../local/emulator-faults.js';
import { type RunningEmulator, startEmulator } from '../../../local/emulator-process.js';
import { REPO_ROOT } from '../../../local/lambda-runtime.js';
import type { TargetFault } from '../../../local/load-balancer-stand-in.js';
import type { LocalProvisionedProduct } from '../../../local/service-catalog-stand-in.js';

/**
 * The system under test of the random histories: the real local mode (test/local/model/host.ts, a launcher in its
 * own process) against an emulator that outlives it, driven as users drive it: the HTTP API with a caller
 * principal, Service Catalog launches, plus the fault switches and launcher crashes the histories inject.
 */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface LiveTask {
  environmentId: string;
  probePid: number;
}

interface Host {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly controlUrl: string;
  readonly catalogEndpoint: string;
  /** The last of what the host printed, to tell why a request found nobody listening. */
  output(): string;
}

async function startHost(emulatorEndpoint: string): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/local/model/host.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, AWS_ENDPOINT_URL: emulatorEndpoint, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = /model-host api=(\S+) control=(\S+) catalog=(\S+)/.exec(out);
    if (ready) {
      return {
        child,
        apiUrl: ready[1] as string,
        controlUrl: ready[2] as string,
        catalogEndpoint: ready[3] as string,
        output: () => out.slice(-2000),
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`model host did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGKILL to the host's process group: a crashed launcher, its probe processes with it. */
function killHost(host: Host): Promise<void> {
  return new Promise((resolve) => {
    if (host.child.exitCode !== null || host.child.signalCode !== null) return resolve();
    host.child.once('exit', () => resolve());
    process.kill(-(host.child.pid as number), 'SIGKILL');
  });
}

export class LocalSystem {
  private constructor(
    readonly emulator: RunningEmulator,
    private host: Host,
    readonly faults: EmulatorFaults,
    private readonly proxy?: EmulatorTimingProxy,
  ) {}

  /**
   * The emulator, then the host. `profile`: every emulator request (the host's and the checks') goes through a
   * timing proxy, for `emulatorRequests()`; the emulator answers one request at a time, so this says where its time
   * goes.
   */
  static async start(options: { profile?: boolean } = {}): Promise<LocalSystem> {
    const emulator = await startEmulator();
    let proxy: EmulatorTimingProxy | undefined;
    try {
      proxy = options.profile ? await startEmulatorTimingProxy(emulator.endpoint) : undefined;
      const endpoint = proxy?.endpoint ?? emulator.endpoint;
      return new LocalSystem(emulator, await startHost(endpoint), emulatorFaults(emulator.endpoint), proxy);
    } catch (error) {
      await proxy?.close();
      await emulator.stop();
      throw error;
    }
  }

  get emulatorUrl(): string {
    return this.proxy?.endpoint ?? this.emulator.endpoint;
  }

  /** The emulator requests seen so far (only when started with `profile`). */
  emulatorRequests(): readonly EmulatorRequest[] {
    return this.proxy?.requests() ?? [];
  }

  /** Kills the launcher mid-flight (nothing cleaned up) and starts a new one on the same emulator. */
  async restart(): Promise<void> {
    await killHost(this.host);
    this.host = await startHost(this.emulatorUrl);
  }

  async request(
    owner: string,
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> {
    const raw = typeof body === 'string' || body === undefined;
    const res = await fetch(`${this.host.apiUrl}${pathAndQuery}`, {
      method,
      headers: {
        'x-principal': owner,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: raw ? (body as string | undefined) : JSON.stringify(body),
    }).catch((error: unknown) => this.unreachable(`${method} ${pathAndQuery}`, error));
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { unparsable: text };
    }
    return { status: res.status, body: parsed };
  }

  /** A request that found nobody listening: says whether the host still runs and what it printed last. */
  private unreachable(what: string, error: unknown): never {
    const { exitCode, signalCode } = this.host.child;
    const state = exitCode === null && signalCode === null ? 'running' : `exited (${exitCode ?? signalCode})`;
    throw new Error(
      `${what}: ${(error as Error).message} (${String((error as Error).cause ?? '')}); ` +
        `the host is ${state}; its last output:\n${this.host.output()}`,
    );
  }

  private async control<T>(route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.host.controlUrl}${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((error: unknown) => this.unreachable(`model host ${route}`, error));
    if (!res.ok) throw new Error(`model host ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  setTargetFault(environmentId: string, fault: TargetFault | null): Promise<unknown> {
    return this.control('/target-fault', { environmentId, fault });
  }

  liveTasks(): Promise<LiveTask[]> {
    return this.control('/live');
  }

  sweep(): Promise<unknown> {
    return this.control('/sweep', {});
  }

  async catalogProducts(): Promise<readonly LocalProvisionedProduct[]> {
    return (await this.control<{ products: LocalProvisionedProduct[] }>('/catalog')).products;
  }

  arm(spec: FaultSpec): Promise<unknown> {
    return this.faults.arm(spec);
  }

  private catalogClient(principal: string): ServiceCatalogClient {
    const client = new ServiceCatalogClient({ ...emulatorClientConfig(this.host.catalogEndpoint), maxAttempts: 1 });
    client.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-principal'] = principal;
        return next(args);
      },
      { step: 'build', name: 'localPrincipal' },
    );
    return client;
  }

  /** ProvisionProduct as `principal`; returns the provisioned product id. */
  async catalogLaunch(principal: string, name: string, ttlMinutes: number): Promise<string> {
    const { productId, provisioningArtifactId } = await this.control<{
      productId: string;
      provisioningArtifactId: string;
    }>('/catalog');
    const client = this.catalogClient(principal);
    try {
      const out = await client.send(
        new ProvisionProductCommand({
          ProductId: productId,
          ProvisioningArtifactId: provisioningArtifactId,
          ProvisionedProductName: name,
          ProvisioningParameters: [
            { Key: 'EnvironmentName', Value: name },
            { Key: 'TtlMinutes', Value: String(ttlMinutes) },
          ],
          ProvisionToken: `${name}-token`,
        }),
      );
      const id = out.RecordDetail?.ProvisionedProductId;
      if (!id) throw new Error('ProvisionProduct returned no provisioned product id');
      return id;
    } finally {
      client.destroy();
    }
  }

  async catalogTerminate(principal: string, provisionedProductId: string): Promise<void> {
    const client = this.catalogClient(principal);
    try {
      await client.send(
        new TerminateProvisionedProductCommand({
          ProvisionedProductId: provisionedProductId,
          TerminateToken: `${provisionedProductId}-terminate`,
        }),
      );
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    await killHost(this.host);
    await this.proxy?.close();
    await this.emulator.stop();
  }
}
