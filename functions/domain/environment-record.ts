import type { Environment } from '../schemas/environment.js';
import { NotFoundError } from '../shared/errors.js';
import type { Registry } from './registry.js';

/** The part of the registry the workflow needs: read one record, write it conditionally. */
export type EnvironmentStore = Pick<Registry, 'get' | 'update'>;

/** Reads the environment a task works on; a task for an unknown id is a caller error, not worth retrying. */
export async function loadEnvironment(registry: EnvironmentStore, environmentId: string): Promise<Environment> {
  const environment = await registry.get(environmentId);
  if (environment === undefined) throw new NotFoundError(`environment ${environmentId} does not exist`);
  return environment;
}
