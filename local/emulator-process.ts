import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface EmulatorOptions {
  /**
   * Load the project's emulator extension (local/emulator/server.py) instead of plain `moto_server`.
   * @default true
   */
  readonly extended?: boolean;
  /** Patches to leave out (names of modules in local/emulator/patches), to show a gap without its patch. */
  readonly disablePatches?: readonly string[];
  /** @default a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export interface RunningEmulator {
  /** Endpoint for SDK clients. Uses `localhost` so moto reads S3 template URLs path-style. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`emulator exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`emulator did not answer at ${url} within ${timeoutMs} ms`);
}

/** Starts moto (with the project's extension unless told otherwise) and waits until it answers. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const extended = options.extended ?? true;
  const args = ['-H', host, '-p', String(port)];
  const child = extended
    ? spawn('python3', [path.join(here, 'emulator', 'server.py'), ...args], {
        env: {
          ...process.env,
          MOTO_PORT: String(port),
          DSENV_DISABLE_PATCHES: (options.disablePatches ?? []).join(','),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawn('moto_server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const hostForUrl = host.includes(':') ? `[${host}]` : host === '127.0.0.1' ? 'localhost' : host;
  const endpoint = `http://${hostForUrl}:${port}`;
  try {
    await waitUntilUp(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, child, 45_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
