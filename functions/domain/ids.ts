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
