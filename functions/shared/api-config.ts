import { getNumberFromEnv, getStringFromEnv } from './env.js';

/** Everything the API handlers read from their environment, read once. */
export interface ApiConfig {
  readonly tableName: string;
  readonly idempotencyTableName: string;
  readonly stateMachineArn: string;
  readonly schedulerRoleArn: string;
  readonly scheduleGroup: string;
  readonly blueprintName: string;
  readonly blueprintVersion: string;
  readonly defaultImageUri: string;
  readonly defaultTtlMinutes: number;
  readonly minTtlMinutes: number;
  readonly maxTtlMinutes: number;
  readonly maxLifetimeMinutes: number;
  readonly maxActivePerOwner: number;
  /** How many VPCs (and egress-only internet gateways) the region allows the account: active environments plus
   *  the VPCs/gateways that are not environments' must stay within it. */
  readonly regionCapacity: number;
}

function positiveInteger(name: string, defaultValue: number): number {
  const value = getNumberFromEnv(name, defaultValue);
  if (!Number.isInteger(value) || value < 1) throw new Error(`Environment variable ${name} must be a positive integer`);
  return value;
}

export function readApiConfig(): ApiConfig {
  const config: ApiConfig = {
    tableName: getStringFromEnv('TABLE_NAME'),
    idempotencyTableName: getStringFromEnv('IDEMPOTENCY_TABLE_NAME'),
    stateMachineArn: getStringFromEnv('STATE_MACHINE_ARN'),
    schedulerRoleArn: getStringFromEnv('SCHEDULER_ROLE_ARN'),
    scheduleGroup: getStringFromEnv('SCHEDULE_GROUP'),
    blueprintName: getStringFromEnv('BLUEPRINT_NAME'),
    blueprintVersion: getStringFromEnv('BLUEPRINT_VERSION'),
    defaultImageUri: getStringFromEnv('DEFAULT_IMAGE_URI'),
    defaultTtlMinutes: positiveInteger('DEFAULT_TTL_MINUTES', 240),
    minTtlMinutes: positiveInteger('MIN_TTL_MINUTES', 30),
    maxTtlMinutes: positiveInteger('MAX_TTL_MINUTES', 10080),
    maxLifetimeMinutes: positiveInteger('MAX_LIFETIME_MINUTES', 10080),
    maxActivePerOwner: positiveInteger('MAX_ACTIVE_PER_OWNER', 3),
    regionCapacity: positiveInteger('REGION_CAPACITY', 5),
  };
  if (config.minTtlMinutes > config.defaultTtlMinutes || config.defaultTtlMinutes > config.maxTtlMinutes) {
    throw new Error('TTL configuration must satisfy MIN_TTL_MINUTES ≤ DEFAULT_TTL_MINUTES ≤ MAX_TTL_MINUTES');
  }
  return config;
}
