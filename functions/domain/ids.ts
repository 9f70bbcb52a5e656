import { randomInt } from 'node:crypto';
import { ENVIRONMENT_ID_ALPHABET, environmentIdFrom, environmentIdOfStackName } from './naming.js';

export { ENVIRONMENT_STACK_PREFIX, stackNameFor } from './naming.js';

/** `env-` + 12 characters of [a-z0-9], drawn uniformly from a cryptographic source. */
export function newEnvironmentId(): string {
  return environmentIdFrom(() => randomInt(ENVIRONMENT_ID_ALPHABET.length));
}

/** The environment a root stack belongs to, from its name or id (`arn:…:stack/<name>/<uuid>`); nested stacks: none. */
export function environmentIdOfStack(stackNameOrId: string): string | undefined {
  const name = stackNameOrId.includes(':stack/') ? stackNameOrId.split(':stack/')[1]?.split('/')[0] : stackNameOrId;
  return environmentIdOfStackName(name ?? '');
}

/** Stable for an environment: a retried or resumed CreateStack is recognised by CloudFormation, never doubled. */
export function createRequestToken(environmentId: string): string {
  return `${environmentId}-create-1`;
}

/** One token per attempt: a retried call of the same attempt is recognised, a new attempt really retries. */
export function deleteRequestToken(environmentId: string, attempt: number): string {
  return `${environmentId}-delete-${attempt}`;
}
