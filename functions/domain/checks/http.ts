import type { ProbeRequest, ProbeResponse } from '../../schemas/workflow.js';
import { type CheckOutcome, failed, passed, skipped } from './check.js';

/** Sends one HTTP probe over the family it names (in-process, or through the IPv6 prober function). */
export type HttpProber = (request: ProbeRequest) => Promise<ProbeResponse>;

export function probeUrl(publicUri: string, port: number, path: string): string {
  return `http://${publicUri}${port === 80 ? '' : `:${port}`}${path}`;
}

function describe(response: ProbeResponse): string {
  const peer = response.remoteAddress ? ` from ${response.remoteAddress} (${response.remoteFamily})` : '';
  if (response.statusCode !== undefined) return `HTTP ${response.statusCode}${peer} in ${response.elapsedMs} ms`;
  return `${response.error ?? 'no answer'}${peer}`;
}

/**
 * `http-ipv4` / `http-ipv6`: GET /health over exactly one family answers 200, and the connection really used that
 * family. Skipped when the name has no record of the family (the DNS check already failed).
 */
export async function checkHealth(
  prober: HttpProber,
  url: string | undefined,
  family: 4 | 6,
  dnsPassed: boolean,
  timeoutMs: number,
): Promise<CheckOutcome> {
  if (url === undefined) return skipped('the stack has no PublicURI output');
  if (!dnsPassed) return skipped(`no ${family === 4 ? 'A' : 'AAAA'} record to connect to (DNS check failed)`);
  const response = await prober({ url, family, timeoutMs });
  const wantFamily = family === 4 ? 'IPv4' : 'IPv6';
  if (response.statusCode === 200 && response.remoteFamily === wantFamily) {
    return passed(`GET ${url} → ${describe(response)}`);
  }
  if (response.statusCode === 200)
    return failed(`GET ${url} answered over ${response.remoteFamily}, not ${wantFamily}`);
  return failed(`GET ${url} → ${describe(response)}`);
}

/**
 * `service-http-ipv4` / `service-http-ipv6`: GET the service's health path over exactly one family answers one of
 * its healthy codes, over that family. The detail records the status, the latency and the family really used.
 */
export async function checkServiceHealth(
  prober: HttpProber,
  url: string | undefined,
  family: 4 | 6,
  dnsPassed: boolean,
  timeoutMs: number,
  healthy: { codes: string; matches: (status: number) => boolean },
): Promise<CheckOutcome> {
  if (url === undefined) return skipped('the stack has no PublicURI output');
  if (!dnsPassed) return skipped(`no ${family === 4 ? 'A' : 'AAAA'} record to connect to (DNS check failed)`);
  const response = await prober({ url, family, timeoutMs });
  const wantFamily = family === 4 ? 'IPv4' : 'IPv6';
  const status = response.statusCode;
  if (status !== undefined && healthy.matches(status) && response.remoteFamily === wantFamily) {
    return passed(`GET ${url} → ${describe(response)} (healthy: ${healthy.codes})`);
  }
  if (status !== undefined && healthy.matches(status)) {
    return failed(`GET ${url} answered over ${response.remoteFamily}, not ${wantFamily}`);
  }
  const expected = status === undefined ? '' : ` (healthy: ${healthy.codes})`;
  return failed(`GET ${url} → ${describe(response)}${expected}`);
}

interface ProbeEvidence {
  endpoint?: string;
  dualStack?: boolean;
  family?: string;
  address?: string;
}

function parseJson(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `probe-list-buckets` / `probe-list-ec2`: the task behind the load balancer answers its AWS probe with 200 and a
 * JSON summary. With `requireIpv6` the probe's own evidence must show that its connection to AWS used IPv6 — the
 * proof that the task's IPv6 egress (egress-only internet gateway) works.
 */
export async function checkAwsProbe(
  prober: HttpProber,
  url: string | undefined,
  family: 4 | 6 | undefined,
  timeoutMs: number,
  requireIpv6: boolean,
): Promise<CheckOutcome> {
  if (url === undefined) return skipped('the stack has no PublicURI output');
  if (family === undefined) return skipped('the load balancer name does not resolve (DNS checks failed)');
  const response = await prober({ url, family, timeoutMs });
  if (response.statusCode !== 200) return failed(`GET ${url} → ${describe(response)}`);
  const body = parseJson(response.body);
  if (body === undefined || typeof body.summary !== 'object') return failed(`GET ${url} → 200 without a JSON summary`);
  const evidence = (body.evidence ?? {}) as ProbeEvidence;
  const via = `${evidence.endpoint ?? 'unknown endpoint'} at ${evidence.address ?? '?'} (${evidence.family ?? 'unknown family'}, dual-stack ${evidence.dualStack === true ? 'on' : 'off'})`;
  if (requireIpv6 && evidence.family !== 'IPv6') return failed(`the probe reached ${via}, not over IPv6`);
  return passed(`the probe reached ${via}; summary ${JSON.stringify(body.summary).slice(0, 200)}`);
}
