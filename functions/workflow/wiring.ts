import { Resolver } from 'node:dns/promises';
import type { CheckDeps } from '../domain/checks/index.js';
import { lambdaProber } from '../domain/checks/index.js';
import { probeHttp } from '../domain/http-probe.js';
import { Registry } from '../domain/registry.js';
import { documentClient, lambda, systemClock } from '../shared/clients.js';
import { correlate } from '../shared/correlation.js';
import { getOptionalStringFromEnv, getStringFromEnv } from '../shared/env.js';

/**
 * What the workflow handlers share: the registry and the name resolution of the checks, built once per process
 * from the function's environment (docs/design.md, "Configuration").
 */
const registryDeps = () => ({
  documentClient: documentClient(),
  tableName: getStringFromEnv('TABLE_NAME'),
  clock: systemClock,
});

/** The registry of a task working on one environment: reading its record puts its owner on the invocation's logs. */
class TaskRegistry extends Registry {
  override async get(id: string) {
    const environment = await super.get(id);
    if (environment !== undefined) correlate({ environmentId: environment.id, owner: environment.owner });
    return environment;
  }
}

let registryInstance: Registry | undefined;
export function registry(): Registry {
  registryInstance ??= new TaskRegistry(registryDeps());
  return registryInstance;
}

/** The registry of the sweeper, which works on many environments per invocation: no per-environment log keys. */
let sweeperRegistryInstance: Registry | undefined;
export function sweeperRegistry(): Registry {
  sweeperRegistryInstance ??= new Registry(registryDeps());
  return sweeperRegistryInstance;
}

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
