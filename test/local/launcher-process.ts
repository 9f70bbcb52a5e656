import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { RunningEmulator } from '../../local/emulator-process.js';
import { REPO_ROOT } from '../../local/lambda-runtime.js';

/** A launcher started as `npm start` starts it (tsx local/start.ts), as its own process. */
export interface LaunchedProcess {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly listenerPort: number;
  output(): string;
}

/**
 * Starts the launcher against an emulator that outlives it and waits until it prints its API and listener URLs.
 * `detached` puts it in its own process group, so a kill of the group takes its probe processes too.
 */
export async function launchLauncher(
  emulator: RunningEmulator,
  options: { detached?: boolean; env?: Record<string, string> } = {},
): Promise<LaunchedProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'local', 'start.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: emulator.endpoint,
      PORT: '0',
      LOG_LEVEL: 'ERROR',
      NODE_NO_WARNINGS: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const api = /API: +(http:\/\/\S+)/.exec(out)?.[1];
    const listener = /listener: +http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    if (api && listener) return { child, apiUrl: api, listenerPort: Number(listener), output: () => out };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`launcher did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
