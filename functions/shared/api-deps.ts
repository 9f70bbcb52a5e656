import type { EnvironmentsDeps } from '../domain/environments.js';
import { Registry } from '../domain/registry.js';
import { type ApiConfig, apiConfig } from './api-config.js';
import { documentClient, ec2, scheduler, stepFunctions, systemClock } from './clients.js';
import { logger } from './powertools.js';

export type ApiDeps = EnvironmentsDeps & { config: ApiConfig };

let deps: ApiDeps | undefined;

/**
 * The API handlers' dependencies, built once per process on first use. Only TABLE_NAME is read here; every other
 * value is read when the route uses it (see `apiConfig`), so each function needs only its own route's variables.
 */
export function apiDeps(): ApiDeps {
  if (deps === undefined) {
    const config = apiConfig();
    deps = {
      registry: new Registry({ documentClient: documentClient(), tableName: config.tableName, clock: systemClock }),
      sfn: stepFunctions(),
      scheduler: scheduler(),
      ec2: ec2(),
      clock: systemClock,
      config,
      logger,
    };
  }
  return deps;
}
