import type { Environment, Validation } from '../schemas/environment.js';
import type { ValidateResult } from '../schemas/workflow.js';
import { type CheckDeps, type CheckSettings, runChecks } from './checks/index.js';
import { type EnvironmentStore, loadEnvironment } from './environment-record.js';
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
