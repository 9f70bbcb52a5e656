import type { Check, EnvironmentOutputs } from '../../schemas/environment.js';
import type { ProbeResolver } from '../http-probe.js';
import { runCheck } from './check.js';
import { checkDnsRecord } from './dns.js';
import { checkAwsProbe, checkHealth, type HttpProber, probeUrl } from './http.js';
import {
  checkAlbDualStack,
  checkEgressOnlyRoutes,
  checkTasksNoPublicIp,
  checkVpcIpv6Cidr,
  type Ec2Port,
  type EcsPort,
  type Elbv2Port,
} from './network.js';

export interface CheckDeps {
  /** Resolver for the DNS checks and for the HTTP probes' names (DNS_SERVERS, or the system's). */
  resolver: ProbeResolver;
  /** Sends IPv4 probes (in-process). */
  probeIpv4: HttpProber;
  /** Sends IPv6 probes (in-process locally; through the IPv6 prober function on AWS). */
  probeIpv6: HttpProber;
  ec2: Ec2Port;
  elbv2: Elbv2Port;
  ecs: EcsPort;
}

export interface CheckSettings {
  /** LISTENER_PORT */
  listenerPort: number;
  /** Deadline of each check. */
  checkTimeoutMs: number;
  /** Deadline of each HTTP request (below checkTimeoutMs). */
  probeTimeoutMs: number;
}

/**
 * Runs the ten checks (CHECK_NAMES) against an environment's outputs. Network checks and DNS run concurrently;
 * the HTTP checks follow the DNS answers (a family without a record is skipped, never passed).
 */
export async function runChecks(
  deps: CheckDeps,
  settings: CheckSettings,
  outputs: EnvironmentOutputs,
): Promise<Check[]> {
  const { checkTimeoutMs: limit, probeTimeoutMs, listenerPort } = settings;
  const host = outputs.publicUri;
  const url = (path: string) => (host === undefined ? undefined : probeUrl(host, listenerPort, path));

  const httpChecks = async (): Promise<Check[]> => {
    const [a, aaaa] = await Promise.all([
      runCheck('dns-a', limit, () => checkDnsRecord(deps.resolver, host, 4)),
      runCheck('dns-aaaa', limit, () => checkDnsRecord(deps.resolver, host, 6)),
    ]);
    const hasA = a.status === 'passed';
    const hasAaaa = aaaa.status === 'passed';
    const awsProbeFamily = hasA ? 4 : hasAaaa ? 6 : undefined;
    const awsProber = awsProbeFamily === 6 ? deps.probeIpv6 : deps.probeIpv4;
    const rest = await Promise.all([
      runCheck('http-ipv4', limit, () => checkHealth(deps.probeIpv4, url('/health'), 4, hasA, probeTimeoutMs)),
      runCheck('http-ipv6', limit, () => checkHealth(deps.probeIpv6, url('/health'), 6, hasAaaa, probeTimeoutMs)),
      runCheck('probe-list-buckets', limit, () =>
        checkAwsProbe(awsProber, url('/list-buckets'), awsProbeFamily, probeTimeoutMs, false),
      ),
      runCheck('probe-list-ec2', limit, () =>
        checkAwsProbe(awsProber, url('/list-ec2'), awsProbeFamily, probeTimeoutMs, true),
      ),
    ]);
    return [a, aaaa, ...rest];
  };

  const [reachability, network] = await Promise.all([
    httpChecks(),
    Promise.all([
      runCheck('vpc-ipv6-cidr', limit, () => checkVpcIpv6Cidr(deps.ec2, outputs)),
      runCheck('egress-only-route', limit, () => checkEgressOnlyRoutes(deps.ec2, outputs)),
      runCheck('alb-dualstack', limit, () => checkAlbDualStack(deps.elbv2, outputs)),
      runCheck('tasks-no-public-ip', limit, () => checkTasksNoPublicIp(deps.ecs, outputs)),
    ]),
  ]);
  return [...reachability, ...network];
}

export type { HttpProber } from './http.js';
export { lambdaProber } from './remote-prober.js';
