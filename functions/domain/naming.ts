/**
 * The names the control plane gives things, in one place: environment ids, the environments' stacks, schedules,
 * executions and tags. Everything else (the API schema, the sweeper, IAM patterns, local mode) derives from these.
 * No imports: any layer may read it.
 */

/** Prefix of every resource name the project creates. */
export const PROJECT_PREFIX = 'dsenv';

/** Environment ids: `env-` + 12 characters of [a-z0-9]. */
export const ENVIRONMENT_ID_PREFIX = 'env-';
export const ENVIRONMENT_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const ENVIRONMENT_ID_LENGTH = 12;
const ID_BODY = `${ENVIRONMENT_ID_PREFIX}[a-z0-9]{${ENVIRONMENT_ID_LENGTH}}`;
export const ENVIRONMENT_ID_PATTERN = new RegExp(`^${ID_BODY}$`);

/** An environment id from `ENVIRONMENT_ID_LENGTH` numbers (each taken modulo the alphabet's size). */
export function environmentIdFrom(draw: (index: number) => number): string {
  let suffix = '';
  for (let i = 0; i < ENVIRONMENT_ID_LENGTH; i += 1) {
    suffix += ENVIRONMENT_ID_ALPHABET[draw(i) % ENVIRONMENT_ID_ALPHABET.length];
  }
  return `${ENVIRONMENT_ID_PREFIX}${suffix}`;
}

/** An environment's parent stack: `dsenv-<environment id>`. */
export function stackNameFor(environmentId: string): string {
  return `${PROJECT_PREFIX}-${environmentId}`;
}

/** Every environment stack's name starts so (nested stacks add `-<LogicalId>-<suffix>`): `dsenv-env-`. */
export const ENVIRONMENT_STACK_PREFIX = stackNameFor(ENVIRONMENT_ID_PREFIX);

const ENVIRONMENT_STACK = new RegExp(`^${PROJECT_PREFIX}-(${ID_BODY})$`);

/** The environment of a parent stack name (`dsenv-<id>`), or undefined for any other name (nested stacks too). */
export function environmentIdOfStackName(stackName: string): string | undefined {
  return ENVIRONMENT_STACK.exec(stackName)?.[1];
}

/** An environment's expiry schedule: `dsenv-<environment id>-expiry`. */
export function expiryScheduleName(environmentId: string): string {
  return `${stackNameFor(environmentId)}-expiry`;
}

/** Execution name: `<id>-<action>-<epoch ms>` (unique per attempt, readable in the console). */
export function executionName(input: { environmentId: string; action: string }, now: Date): string {
  return `${input.environmentId}-${input.action}-${now.getTime()}`;
}

/** Tags every environment stack (and so its resources) carries. */
export const TAG_ENVIRONMENT_ID = `${PROJECT_PREFIX}:environment-id`;
export const TAG_OWNER = `${PROJECT_PREFIX}:owner`;
export const TAG_EXPIRES_AT = `${PROJECT_PREFIX}:expires-at`;
