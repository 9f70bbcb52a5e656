import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsStandIn, startDnsStandIn } from '../../local/dns-stand-in.js';

describe('local DNS stand-in', () => {
  const live = new Set(['env-abc123def456-alb-1.us-east-1.elb.amazonaws.com']);
  let dns: DnsStandIn;
  let resolver: Resolver;

  beforeAll(async () => {
    dns = await startDnsStandIn({ isLive: (name) => live.has(name) });
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([dns.address]);
  });
  afterAll(async () => {
    await dns.close();
  });

  it('answers A with 127.0.0.1 for a live load-balancer name', async () => {
    const addresses = await resolver.resolve4('env-abc123def456-alb-1.us-east-1.elb.amazonaws.com');
    expect(addresses).toEqual(['127.0.0.1']);
  });

  it('answers AAAA with ::1 for a live name, whatever its case', async () => {
    const addresses = await resolver.resolve6('ENV-abc123def456-alb-1.us-east-1.elb.amazonaws.com');
    expect(addresses).toEqual(['::1']);
  });

  it('answers NXDOMAIN for a name that is not (or no longer) live', async () => {
    live.add('gone.elb.amazonaws.com');
    await expect(resolver.resolve4('gone.elb.amazonaws.com')).resolves.toEqual(['127.0.0.1']);
    live.delete('gone.elb.amazonaws.com');

    await expect(resolver.resolve4('gone.elb.amazonaws.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve6('example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers no record (not an address) for other types of a live name', async () => {
    await expect(resolver.resolveMx('env-abc123def456-alb-1.us-east-1.elb.amazonaws.com')).rejects.toMatchObject({
      code: 'ENODATA',
    });
  });
});
