import type { Environment, Validation } from '../schemas/environment.js';
import type { Ipv6Probes, ValidateResult } from '../schemas/workflow.js';
import {
  type CheckDeps,
  type CheckSettings,
  type HttpProber,
  hasARecord,
  ipv6ProbeRequests,
  runChecks,
} from './checks/index.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
import type { ProbeResolver } from './http-probe.js';
import type { Clock } from './ports.js';

export interface ValidationDeps extends CheckDeps {
  registry: EnvironmentStore;
  clock: Clock;
  settings: CheckSettings;
}

/**
 * Validates a freshly created environment: moves it to VALIDATING, runs the checks (ten, twelve with a service), stores the evidence and
 * sets READY when every check passed. Otherwise it stays VALIDATING and the result says which checks failed
 * (the state machine then records the failure and tears the environment down).
 */
export async function validateEnvironment(deps: ValidationDeps, environmentId: string): Promise<ValidateResult> {
  let environment: Environment = await loadEnvironment(deps.registry, environmentId);
  if (environment.status !== 'VALIDATING') {
    environment = await deps.registry.update(environment, { status: 'VALIDATING' }, ['CREATING']);
  }
  const checks = await runChecks(deps, deps.settings, environment.outputs, environment.service);
  const validation: Validation = {
    passed: checks.every((c) => c.status === 'passed'),
    checkedAt: deps.clock.now().toISOString(),
    checks,
  };
  await deps.registry.update(environment, validation.passed ? { validation, status: 'READY' } : { validation }, [
    'VALIDATING',
  ]);
  const failedChecks = checks.filter((c) => c.status !== 'passed').map((c) => c.name);
  if (!validation.passed) return { passed: false, failedChecks };
  const secondsToReady = Math.max(0, (deps.clock.now().getTime() - Date.parse(environment.createdAt)) / 1000);
  return { passed: true, failedChecks, secondsToReady };
}

export interface Ipv6ProbeDeps {
  registry: EnvironmentStore;
  /** Resolves the name's A record: the AWS probes go over IPv6 only without one (as Validate decides). */
  resolver: ProbeResolver;
  /** Sends one probe from where IPv6 egress exists (the control plane's dual-stack VPC). */
  probe: HttpProber;
  settings: Pick<CheckSettings, 'listenerPort' | 'probeTimeoutMs'>;
}

/**
 * ProbeIpv6, the step before Validate: sends the IPv6 requests of Validate's checks for the environment's outputs
 * (concurrently; a probe never throws) and returns each answer by URL. It writes nothing. Should DNS answer Validate
 * otherwise (an A record gone meanwhile), the request it then wants is missing and its check fails saying so.
 */
export async function probeIpv6(deps: Ipv6ProbeDeps, environmentId: string): Promise<Ipv6Probes> {
  const environment = await loadEnvironment(deps.registry, environmentId);
  const hasA = await hasARecord(deps.resolver, environment.outputs.publicUri);
  const requests = ipv6ProbeRequests(deps.settings, environment.outputs, environment.service, hasA);
  const probes = await Promise.all(
    requests.map(async (request) => ({ url: request.url, response: await deps.probe(request) })),
  );
  return { probes };
}
