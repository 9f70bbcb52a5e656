import { Inventory } from '../domain/cost.js';
import type { EnvironmentsConfig } from '../domain/ports.js';
import type { ServiceRules } from '../domain/service-rules.js';
import { getMinutesListFromEnv, getNumberFromEnv, getOptionalStringFromEnv, getStringFromEnv } from './env.js';
import { readLocalImageCommands } from './local-images.js';

/** Everything an API route may read from its environment: what the lifecycle needs, and its tables. */
export interface ApiConfig extends EnvironmentsConfig {
  readonly tableName: string;
  readonly idempotencyTableName: string;
}

type TtlBounds = Pick<ApiConfig, 'defaultTtlMinutes' | 'minTtlMinutes' | 'maxTtlMinutes'>;

function positiveInteger(name: string, defaultValue: number): number {
  const value = getNumberFromEnv(name, defaultValue);
  if (!Number.isInteger(value) || value < 1) throw new Error(`Environment variable ${name} must be a positive integer`);
  return value;
}

/** The three TTL values, read and checked together (MIN ≤ DEFAULT ≤ MAX). */
export function readTtlBounds(): TtlBounds {
  const bounds = {
    defaultTtlMinutes: positiveInteger('DEFAULT_TTL_MINUTES', 240),
    minTtlMinutes: positiveInteger('MIN_TTL_MINUTES', 30),
    maxTtlMinutes: positiveInteger('MAX_TTL_MINUTES', 10080),
  };
  if (bounds.minTtlMinutes > bounds.defaultTtlMinutes || bounds.defaultTtlMinutes > bounds.maxTtlMinutes) {
    throw new Error('TTL configuration must satisfy MIN_TTL_MINUTES ≤ DEFAULT_TTL_MINUTES ≤ MAX_TTL_MINUTES');
  }
  return bounds;
}

const list = (name: string): string[] =>
  (getOptionalStringFromEnv(name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** SERVICE_PULL_THROUGH_PREFIXES, SERVICE_SECRET_PREFIXES (comma-joined), AWS_REGION and, locally, LOCAL_IMAGE_COMMANDS. */
export function readServiceRules(): ServiceRules {
  const localFile = getOptionalStringFromEnv('LOCAL_IMAGE_COMMANDS');
  const rules = {
    region: getStringFromEnv('AWS_REGION'),
    pullThroughPrefixes: list('SERVICE_PULL_THROUGH_PREFIXES'),
    secretPrefixes: list('SERVICE_SECRET_PREFIXES'),
  };
  if (localFile === undefined) return rules;
  const images = new Set(Object.keys(readLocalImageCommands(localFile).images));
  return { ...rules, local: { images, file: localFile } };
}

function positiveNumber(name: string, defaultValue: number): number {
  const value = getNumberFromEnv(name, defaultValue);
  if (value <= 0) throw new Error(`Environment variable ${name} must be a positive number`);
  return value;
}

function inventoryFromEnv(name: string): Inventory {
  const result = Inventory.safeParse(JSON.parse(getStringFromEnv(name)));
  if (!result.success) throw new Error(`Environment variable ${name} is not a cost inventory: ${result.error.message}`);
  return result.data;
}

function once<T>(read: () => T): () => T {
  let done = false;
  let value: T | undefined;
  return () => {
    if (!done) {
      value = read();
      done = true;
    }
    return value as T;
  };
}

/**
 * The API's configuration, each value read from the environment when a route first uses it (then kept).
 * Every route is its own function, configured with only the variables that route reads
 * (control-plane/constructs/api.ts): reading them all up front would fail the routes that lack the others.
 * A value a route does need and does not have still fails with MissingConfigurationError.
 */
export function apiConfig(): ApiConfig {
  const ttl = once(readTtlBounds);
  const readers: { [K in keyof ApiConfig]: () => ApiConfig[K] } = {
    tableName: () => getStringFromEnv('TABLE_NAME'),
    idempotencyTableName: () => getStringFromEnv('IDEMPOTENCY_TABLE_NAME'),
    stateMachineArn: () => getStringFromEnv('STATE_MACHINE_ARN'),
    schedulerRoleArn: () => getStringFromEnv('SCHEDULER_ROLE_ARN'),
    scheduleGroup: () => getStringFromEnv('SCHEDULE_GROUP'),
    blueprintName: () => getStringFromEnv('BLUEPRINT_NAME'),
    blueprintVersion: () => getStringFromEnv('BLUEPRINT_VERSION'),
    defaultImageUri: () => getStringFromEnv('DEFAULT_IMAGE_URI'),
    defaultTtlMinutes: () => ttl().defaultTtlMinutes,
    minTtlMinutes: () => ttl().minTtlMinutes,
    maxTtlMinutes: () => ttl().maxTtlMinutes,
    maxLifetimeMinutes: () => positiveInteger('MAX_LIFETIME_MINUTES', 10080),
    maxActivePerOwner: () => positiveInteger('MAX_ACTIVE_PER_OWNER', 3),
    regionCapacity: () => positiveInteger('REGION_CAPACITY', 5),
    serviceRules: readServiceRules,
    costInventory: () => inventoryFromEnv('COST_INVENTORY'),
    maxEstimatedCostUsd: () => positiveNumber('MAX_ESTIMATED_COST_USD', 50),
    expiryWarningMinutes: () => getMinutesListFromEnv('EXPIRY_WARNING_MINUTES'),
    warningFunctionArn: () => getStringFromEnv('WARNING_FUNCTION_ARN'),
  };
  const config = {};
  for (const [key, read] of Object.entries<() => unknown>(readers)) {
    Object.defineProperty(config, key, { enumerable: true, get: once(read) });
  }
  return config as ApiConfig;
}
