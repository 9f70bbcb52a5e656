import { spawn } from 'node:child_process';
import { captureOutput, stopChild } from './child-process.js';
import { isListening } from './loopback.js';

/**
 * Stand-in for a team's container in a Fargate task: the local command its image is mapped to
 * (`LOCAL_IMAGE_COMMANDS`, docs/bring-your-own-service.md), with the container's command appended as the image's
 * CMD would be, and only the container's environment (`PORT` and its variables) plus PATH and HOME. Every task on
 * AWS has its own address; locally they share the loopback, so `PORT` is a free port chosen per task.
 */
export interface ServiceProcessOptions {
  /** argv: the mapped command, then the container's command. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The container's environment (`PORT` included). */
  readonly environment: Readonly<Record<string, string>>;
  readonly port: number;
  /** How long to wait for the port to accept connections (on either family). @default 15000 */
  readonly startTimeoutMs?: number;
  readonly onOutput?: (line: string) => void;
}

export interface ServiceProcess {
  readonly port: number;
  readonly pid: number;
  alive(): boolean;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  const [v4, v6] = await Promise.all([isListening('127.0.0.1', port, 500), isListening('::1', port, 500)]);
  return v4 || v6;
}

/** Starts the process and resolves once its port accepts connections; throws with its output if it never does. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const [file, ...args] = options.argv;
  if (file === undefined) throw new Error('the service has no command to run');
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.environment, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  const tail = captureOutput(child, options.onOutput);

  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!(await listening(options.port))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      const why = spawnError ? spawnError.message : `exit ${child.exitCode}`;
      throw new Error(`service ${options.argv.join(' ')} did not listen on port ${options.port} (${why}): ${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: options.port,
    pid: child.pid ?? -1,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => stopChild(child),
  };
}
