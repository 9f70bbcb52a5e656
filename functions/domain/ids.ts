import { randomInt } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;

/** `env-` + 12 characters of [a-z0-9], drawn uniformly from a cryptographic source. */
export function newEnvironmentId(): string {
  let suffix = '';
  for (let i = 0; i < ID_LENGTH; i += 1) suffix += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `env-${suffix}`;
}

export function stackNameFor(environmentId: string): string {
  return `dsenv-${environmentId}`;
}

const ROOT_STACK_NAME = /^dsenv-(env-[a-z0-9]{12})$/;

/** The environment a root stack belongs to, from its name or id (`arn:…:stack/<name>/<uuid>`); nested stacks: none. */
export function environmentIdOfStack(stackNameOrId: string): string | undefined {
  const name = stackNameOrId.includes(':stack/') ? stackNameOrId.split(':stack/')[1]?.split('/')[0] : stackNameOrId;
  return ROOT_STACK_NAME.exec(name ?? '')?.[1];
}

/** Stable for an environment: a retried or resumed CreateStack is recognised by CloudFormation, never doubled. */
export function createRequestToken(environmentId: string): string {
  return `${environmentId}-create-1`;
}

/** One token per attempt: a retried call of the same attempt is recognised, a new attempt really retries. */
export function deleteRequestToken(environmentId: string, attempt: number): string {
  return `${environmentId}-delete-${attempt}`;
}

/** Every environment's root stack name starts so (`stackNameFor`); nested stacks add `-<LogicalId>-<suffix>`. */
export const ENVIRONMENT_STACK_PREFIX = stackNameFor('env-');
