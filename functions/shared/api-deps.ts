import type { EnvironmentsDeps } from '../domain/environments.js';
import { Registry } from '../domain/registry.js';
import { type ApiConfig, apiConfig } from './api-config.js';
import { documentClient } from './clients/dynamodb.js';
import { systemClock } from './clock.js';
import { logger } from './powertools.js';

/** What every API route has: the registry, the clock, the configuration and the logger (DynamoDB only). */
export type ApiDeps = Pick<EnvironmentsDeps, 'registry' | 'clock' | 'logger'> & { config: ApiConfig };

let deps: ApiDeps | undefined;

/**
 * The API handlers' shared dependencies, built once per container on first use. A route that also starts
 * executions or moves schedules adds those clients itself (each from its own module), so a read route's bundle
 * holds no client it never calls. Only TABLE_NAME is read here; every other value is read when the route uses it
 * (see `apiConfig`), so each function needs only its own route's variables.
 */
export function apiDeps(): ApiDeps {
  if (deps === undefined) {
    const config = apiConfig();
    deps = {
      registry: new Registry({ documentClient: documentClient(), tableName: config.tableName, clock: systemClock }),
      clock: systemClock,
      config,
      logger,
    };
  }
  return deps;
}
