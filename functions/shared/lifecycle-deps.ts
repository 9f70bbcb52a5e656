import type { EnvironmentsDeps } from '../domain/environments.js';
import { type ApiDeps, apiDeps } from './api-deps.js';
import { ec2 } from './clients/ec2.js';
import { scheduler } from './clients/scheduler.js';
import { stepFunctions } from './clients/step-functions.js';

/**
 * What registering an environment needs (POST /environments, a Service Catalog launch): the API's dependencies
 * plus Step Functions (the provision execution), EventBridge Scheduler (the expiry) and EC2 (the capacity quota).
 */
export function lifecycleDeps(): EnvironmentsDeps & ApiDeps {
  return { ...apiDeps(), sfn: stepFunctions(), scheduler: scheduler(), ec2: ec2() };
}
