import type { Check, EnvironmentOutputs } from '../../schemas/environment.js';
import { httpCodeMatcher, PROBE_BASE_PATH, type ServiceSpec } from '../../schemas/service.js';
import type { ProbeRequest } from '../../schemas/workflow.js';
import type { ProbeResolver } from '../http-probe.js';
import { runCheck } from './check.js';
import { checkDnsRecord } from './dns.js';
import { checkAwsProbe, checkHealth, checkServiceHealth, type HttpProber, probeUrl } from './http.js';
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
  /** Sends IPv6 probes (Validate: reads what the IPv6 prober answered, `recordedProber`). */
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

type ServiceHealth = Pick<ServiceSpec, 'healthPath' | 'healthyHttpCodes'>;

/** The URLs the HTTP checks probe (undefined without a PublicURI): the probe's routes, the service's health. */
interface CheckUrls {
  health?: string;
  listBuckets?: string;
  listEc2?: string;
  serviceHealth?: string;
}

function checkUrls(listenerPort: number, outputs: EnvironmentOutputs, service?: ServiceHealth): CheckUrls {
  const host = outputs.publicUri;
  const at = (path: string) => (host === undefined ? undefined : probeUrl(host, listenerPort, path));
  // With a service the probe is its sidecar and answers under PROBE_BASE_PATH.
  const probe = (path: string) => at(service === undefined ? path : `${PROBE_BASE_PATH}${path}`);
  return {
    health: probe('/health'),
    listBuckets: probe('/list-buckets'),
    listEc2: probe('/list-ec2'),
    serviceHealth: service === undefined ? undefined : at(service.healthPath),
  };
}

/**
 * The IPv6 requests `runChecks` sends for these outputs: the probe's health and the service's on every environment,
 * the AWS probes only when the name has no A record (they go over IPv4 otherwise). What the IPv6 prober sends from
 * the control plane's dual-stack VPC before Validate runs (Validate then reads its answers, `recordedProber`).
 */
export function ipv6ProbeRequests(
  settings: Pick<CheckSettings, 'listenerPort' | 'probeTimeoutMs'>,
  outputs: EnvironmentOutputs,
  service: ServiceHealth | undefined,
  hasA: boolean,
): ProbeRequest[] {
  const urls = checkUrls(settings.listenerPort, outputs, service);
  // Sent before the AAAA lookup is known: without one, these answers fail as the checks do.
  const wanted = awsProbeFamily(hasA, true) === 6 ? Object.values(urls) : [urls.health, urls.serviceHealth];
  return wanted
    .filter((url): url is string => url !== undefined)
    .map((url) => ({ url, family: 6, timeoutMs: settings.probeTimeoutMs }));
}

/**
 * The family the AWS probes (list-buckets, list-ec2) go over: IPv4 when the name has an A record, else IPv6, else
 * none (both DNS checks failed: they are skipped).
 */
export function awsProbeFamily(hasA: boolean, hasAaaa: boolean): 4 | 6 | undefined {
  if (hasA) return 4;
  return hasAaaa ? 6 : undefined;
}

/** Whether the name has an A record, as the `dns-a` check decides it. */
export async function hasARecord(resolver: ProbeResolver, publicUri: string | undefined): Promise<boolean> {
  return (await checkDnsRecord(resolver, publicUri, 4)).status === 'passed';
}

/**
 * Runs the checks (CHECK_NAMES) against an environment's outputs: the ten of every environment, plus the two
 * service checks when it runs a service (the probe is then its sidecar and answers under /_dsenv/). Network checks
 * and DNS run concurrently; the HTTP checks follow the DNS answers (a family without a record is skipped, never
 * passed).
 */
export async function runChecks(
  deps: CheckDeps,
  settings: CheckSettings,
  outputs: EnvironmentOutputs,
  service?: ServiceHealth,
): Promise<Check[]> {
  const { checkTimeoutMs: limit, probeTimeoutMs, listenerPort } = settings;
  const host = outputs.publicUri;
  const urls = checkUrls(listenerPort, outputs, service);

  const httpChecks = async (): Promise<Check[]> => {
    const [a, aaaa] = await Promise.all([
      runCheck('dns-a', limit, () => checkDnsRecord(deps.resolver, host, 4)),
      runCheck('dns-aaaa', limit, () => checkDnsRecord(deps.resolver, host, 6)),
    ]);
    const hasA = a.status === 'passed';
    const hasAaaa = aaaa.status === 'passed';
    const awsFamily = awsProbeFamily(hasA, hasAaaa);
    const awsProber = awsFamily === 6 ? deps.probeIpv6 : deps.probeIpv4;
    const rest = await Promise.all([
      runCheck('http-ipv4', limit, () => checkHealth(deps.probeIpv4, urls.health, 4, hasA, probeTimeoutMs)),
      runCheck('http-ipv6', limit, () => checkHealth(deps.probeIpv6, urls.health, 6, hasAaaa, probeTimeoutMs)),
      runCheck('probe-list-buckets', limit, () =>
        checkAwsProbe(awsProber, urls.listBuckets, awsFamily, probeTimeoutMs, false),
      ),
      runCheck('probe-list-ec2', limit, () => checkAwsProbe(awsProber, urls.listEc2, awsFamily, probeTimeoutMs, true)),
      ...serviceChecks(hasA, hasAaaa),
    ]);
    return [a, aaaa, ...rest];
  };

  const serviceChecks = (hasA: boolean, hasAaaa: boolean): Promise<Check>[] => {
    if (service === undefined) return [];
    const healthy = { codes: service.healthyHttpCodes, matches: httpCodeMatcher(service.healthyHttpCodes) };
    const health = urls.serviceHealth;
    return [
      runCheck('service-http-ipv4', limit, () =>
        checkServiceHealth(deps.probeIpv4, health, 4, hasA, probeTimeoutMs, healthy),
      ),
      runCheck('service-http-ipv6', limit, () =>
        checkServiceHealth(deps.probeIpv6, health, 6, hasAaaa, probeTimeoutMs, healthy),
      ),
    ];
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
export { recordedProber } from './recorded-prober.js';
