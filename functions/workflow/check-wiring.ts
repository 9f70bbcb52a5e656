import { Resolver } from 'node:dns/promises';
import type { CheckDeps } from '../domain/checks/index.js';
import { lambdaProber } from '../domain/checks/remote-prober.js';
import { probeHttp } from '../domain/http-probe.js';
import { lambda } from '../shared/clients/lambda.js';
import { getOptionalStringFromEnv } from '../shared/env.js';

/** A resolver for DNS_SERVERS (`host:port` list, local mode) or the system's servers. */
export function checkResolver(): Resolver {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  const servers = getOptionalStringFromEnv('DNS_SERVERS');
  if (servers !== undefined) resolver.setServers(servers.split(',').map((s) => s.trim()));
  return resolver;
}

/** IPv4 probes run in-process; IPv6 probes go through IPV6_PROBER_FUNCTION when set (no IPv6 egress outside a VPC). */
export function probers(resolver: Resolver): Pick<CheckDeps, 'probeIpv4' | 'probeIpv6'> {
  const inProcess = (request: Parameters<typeof probeHttp>[0]) => probeHttp(request, { resolver });
  const proberFunction = getOptionalStringFromEnv('IPV6_PROBER_FUNCTION');
  return { probeIpv4: inProcess, probeIpv6: proberFunction ? lambdaProber(lambda(), proberFunction) : inProcess };
}
