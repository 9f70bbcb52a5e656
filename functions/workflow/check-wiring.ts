import { Resolver } from 'node:dns/promises';
import type { CheckSettings } from '../domain/checks/index.js';
import { getNumberFromEnv, getOptionalStringFromEnv } from '../shared/env.js';

/** A resolver for DNS_SERVERS (`host:port` list, local mode) or the system's servers. */
export function checkResolver(): Resolver {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  const servers = getOptionalStringFromEnv('DNS_SERVERS');
  if (servers !== undefined) resolver.setServers(servers.split(',').map((s) => s.trim()));
  return resolver;
}

/** What Validate's checks and the IPv6 prober's requests share: LISTENER_PORT and the deadlines. */
export function checkSettings(): CheckSettings {
  return { listenerPort: getNumberFromEnv('LISTENER_PORT', 80), checkTimeoutMs: 20_000, probeTimeoutMs: 8_000 };
}
