import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createApp } from './app.js';
import { createAwsProbes, type Probes } from './aws-probes.js';
import { type ProbeConfig, readConfig } from './config.js';
import { jsonLogger, type Logger } from './logger.js';

export interface RunningServer {
  readonly server: Server;
  /** The bound address and port (the real port when `PORT` was 0). */
  readonly address: AddressInfo;
  /** Stops accepting connections, closes idle ones, and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** @default readConfig(process.env) */
  readonly config?: ProbeConfig;
  /** @default the SDK probes built from `config` */
  readonly probes?: Probes;
  /** @default JSON lines on stdout */
  readonly log?: Logger;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Builds the app from the environment and listens (on `::` unless `HOST` says otherwise). */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? readConfig();
  const log = options.log ?? jsonLogger;
  const server = createServer(
    createApp({ probes: options.probes ?? createAwsProbes(config), log, basePath: config.basePath }),
  );
  try {
    await listen(server, config.port, config.host);
  } catch (error) {
    // A host without IPv6 cannot bind '::'; unless the operator chose the address, serve IPv4 rather than nothing.
    if (config.hostExplicit || (error as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw error;
    log('warn', 'IPv6 unavailable, listening on IPv4 only', { host: '0.0.0.0' });
    await listen(server, config.port, '0.0.0.0');
  }
  const address = server.address() as AddressInfo;
  log('info', 'listening', {
    host: address.address,
    port: address.port,
    ipFamily: config.ipFamily,
    basePath: config.basePath,
  });
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function main(): Promise<void> {
  let running: RunningServer | undefined;
  const stop = (signal: NodeJS.Signals) => {
    jsonLogger('info', 'stopping', { signal });
    // Exit even if a connection refuses to close; the orchestrator sends SIGKILL after its own grace period anyway.
    setTimeout(() => process.exit(0), 3000).unref();
    const closed = running?.close() ?? Promise.resolve();
    closed.then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  // Installed before listening, so a signal that arrives during start-up also stops the process cleanly.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  running = await startServer();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    jsonLogger('error', 'failed to start', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}
