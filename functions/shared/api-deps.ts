import type { EnvironmentsDeps } from '../domain/environments.js';
import { Registry } from '../domain/registry.js';
import { type ApiConfig, readApiConfig } from './api-config.js';
import { documentClient, ec2, scheduler, stepFunctions, systemClock } from './clients.js';
import { logger } from './powertools.js';

export type ApiDeps = EnvironmentsDeps & { config: ApiConfig };

let deps: ApiDeps | undefined;

/** The API handlers' dependencies, built once per process on first use (configuration read once). */
export function apiDeps(): ApiDeps {
  if (deps === undefined) {
    const config = readApiConfig();
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
