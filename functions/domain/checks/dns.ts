import type { ProbeResolver } from '../http-probe.js';
import { type CheckOutcome, failed, passed, skipped } from './check.js';

/** `dns-a` / `dns-aaaa`: the load balancer's name resolves to at least one address of the family. */
export async function checkDnsRecord(
  resolver: ProbeResolver,
  publicUri: string | undefined,
  family: 4 | 6,
): Promise<CheckOutcome> {
  const record = family === 4 ? 'A' : 'AAAA';
  if (publicUri === undefined) return skipped('the stack has no PublicURI output');
  try {
    const addresses = family === 4 ? await resolver.resolve4(publicUri) : await resolver.resolve6(publicUri);
    return addresses.length > 0
      ? passed(`${publicUri} ${record} ${addresses.join(', ')}`)
      : failed(`${publicUri} has no ${record} record`);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return failed(`${publicUri} ${record} lookup failed: ${e.code ?? e.message}`);
  }
}
