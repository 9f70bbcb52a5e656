import { Registry } from '../domain/registry.js';
import { documentClient } from '../shared/clients/dynamodb.js';
import { systemClock } from '../shared/clock.js';
import { correlate } from '../shared/correlation.js';
import { getStringFromEnv } from '../shared/env.js';

/**
 * The registry the workflow handlers share, built once per container from TABLE_NAME (docs/design.md,
 * "Configuration"). The checks' name resolution and probers are in check-wiring.ts, apart, so that the IPv6
 * prober's bundle carries no DynamoDB client.
 */
const registryDeps = () => ({
  documentClient: documentClient(),
  tableName: getStringFromEnv('TABLE_NAME'),
  clock: systemClock,
});

/** The registry of a task working on one environment: reading its record puts its owner on the invocation's logs. */
class TaskRegistry extends Registry {
  override async get(id: string) {
    const environment = await super.get(id);
    if (environment !== undefined) correlate({ environmentId: environment.id, owner: environment.owner });
    return environment;
  }
}

let registryInstance: Registry | undefined;
export function registry(): Registry {
  registryInstance ??= new TaskRegistry(registryDeps());
  return registryInstance;
}

/** The registry of the sweeper, which works on many environments per invocation: no per-environment log keys. */
let sweeperRegistryInstance: Registry | undefined;
export function sweeperRegistry(): Registry {
  sweeperRegistryInstance ??= new Registry(registryDeps());
  return sweeperRegistryInstance;
}
