import type { LocalControlPlaneOptions } from '../../local/launcher.js';
import { isListening } from '../../local/loopback.js';

/**
 * Options for a local control plane in the end-to-end tests: a free port and short poll, heartbeat, retry, scheduler and
 * task intervals, so a lifecycle takes seconds; quiet unless a test collects the log lines.
 */
export function fastLocalOptions(overrides: Partial<LocalControlPlaneOptions> = {}): LocalControlPlaneOptions {
  return {
    port: 0,
    pollMs: 200,
    heartbeatMs: 3000,
    retryIntervalMs: 200,
    schedulerIntervalMs: 500,
    taskIntervalMs: 500,
    sweepIntervalMs: 3000,
    logLevel: 'ERROR',
    log: () => undefined,
    ...overrides,
  };
}

/** Small client of the local API, for the end-to-end tests. */
export interface ApiEnvironment {
  id: string;
  status: string;
  expiresAt: string;
  stackId?: string;
  failureReason?: string;
  outputs: { publicUri?: string; localUrls?: string[] };
  validation?: { passed: boolean; checks: { name: string; status: string; detail: string }[] };
  teardown?: { remaining: string[] };
}

export async function call(
  apiUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function getEnvironment(apiUrl: string, id: string): Promise<ApiEnvironment> {
  const res = await call(apiUrl, 'GET', `/environments/${id}`);
  if (res.status !== 200) throw new Error(`GET ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as ApiEnvironment;
}

/** Polls until the environment reaches one of `statuses`; returns it and every status seen on the way. */
export async function waitForStatus(
  apiUrl: string,
  id: string,
  statuses: readonly string[],
  timeoutMs: number,
): Promise<{ environment: ApiEnvironment; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const environment = await getEnvironment(apiUrl, id);
    if (seen[seen.length - 1] !== environment.status) seen.push(environment.status);
    if (statuses.includes(environment.status)) return { environment, seen };
    if (Date.now() > deadline) {
      throw new Error(`${id} still ${environment.status} after ${timeoutMs} ms (seen ${seen.join(' → ')})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether a local URL (`http://127.0.0.1:P` / `http://[::1]:P`) accepts connections. */
export function urlListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return isListening(hostname.replace(/^\[|\]$/g, ''), Number(port));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
