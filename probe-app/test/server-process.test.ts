import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { getJson } from './support.js';

const probeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const builtServer = path.join(probeDir, 'dist', 'server.js');
const secret = 'do-not-log-this-secret-value';

interface LogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** Spawns the built server and resolves with the port it reports in its 'listening' log line. */
function spawnServer(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; lines: LogLine[] }> {
  const child = spawn(process.execPath, [builtServer], {
    cwd: probeDir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', AWS_REGION: 'us-east-1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let buffered = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, end)) as LogLine;
        buffered = buffered.slice(end + 1);
        lines.push(line);
        if (line.message === 'listening') resolve({ child, port: Number(line.port), lines });
      }
    });
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('the built server as a process', () => {
  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: probeDir });
  });

  it('npm run build produces dist/server.js', () => {
    expect(existsSync(builtServer)).toBe(true);
  });

  it('serves /health on both families, logs JSON lines without secrets, and exits 0 on SIGTERM', async () => {
    const { child, port, lines } = await spawnServer({
      AWS_ACCESS_KEY_ID: 'AKIATESTING',
      AWS_SECRET_ACCESS_KEY: secret,
    });
    const exited = exitOf(child);

    const overV4 = await getJson(`http://127.0.0.1:${port}/health`);
    const overV6 = await getJson(`http://[::1]:${port}/health`);
    const started = Date.now();
    child.kill('SIGTERM');
    const { code, signal } = await exited;

    expect(overV4.status).toBe(200);
    expect(overV6.status).toBe(200);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines.filter((l) => l.message === 'request')).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ message: 'stopping', signal: 'SIGTERM' });
    expect(JSON.stringify(lines)).not.toContain(secret);
  });

  it('exits 0 on SIGINT too', async () => {
    const { child } = await spawnServer({ HOST: '::1' });
    const exited = exitOf(child);

    child.kill('SIGINT');

    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('refuses to start on a malformed PROBE_IP_FAMILY', async () => {
    const child = spawn(process.execPath, [builtServer], {
      env: { PATH: process.env.PATH ?? '', PROBE_IP_FAMILY: '5' },
      stdio: 'ignore',
    });

    expect(await exitOf(child)).toEqual({ code: 1, signal: null });
  });
});
