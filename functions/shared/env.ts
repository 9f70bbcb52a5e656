/**
 * Environment values are read once, through functions that throw when a required value is missing
 * (never `process.env.X || ''`).
 */
export class MissingConfigurationError extends Error {
  constructor(name: string) {
    super(`Required environment variable ${name} is not set`);
    this.name = 'MissingConfigurationError';
  }
}

export function getStringFromEnv(name: string, defaultValue?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (defaultValue !== undefined) return defaultValue;
  throw new MissingConfigurationError(name);
}

export function getOptionalStringFromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function getNumberFromEnv(name: string, defaultValue?: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    if (defaultValue !== undefined) return defaultValue;
    throw new MissingConfigurationError(name);
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`Environment variable ${name} is not a number: ${raw}`);
  return value;
}

/** A comma-separated list of positive minutes, e.g. `30,5`. */
export function getMinutesListFromEnv(name: string): number[] {
  const minutes = getStringFromEnv(name)
    .split(',')
    .map((value) => Number(value.trim()));
  if (minutes.some((value) => !Number.isFinite(value) || value <= 0)) {
    throw new Error(`Environment variable ${name} must list positive minutes, e.g. 30,5`);
  }
  return minutes;
}
