import type { Inventory } from './cost.js';
import type { ServiceRules } from './service-rules.js';

/**
 * The ports the domain needs from its surroundings, declared here so that the domain depends on nothing outside it;
 * `shared/` implements them (the system clock, the configuration read from the environment).
 */

/** The clock every domain module receives, so tests can fix time. */
export interface Clock {
  now(): Date;
}

/** The settings the environment lifecycle reads (the API's configuration without its tables). */
export interface EnvironmentsConfig {
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
  /** Where a service's image and secrets may come from (and, in local mode, which images can run). */
  readonly serviceRules: ServiceRules;
  /** What an environment of the deployed blueprint runs that is billed by the hour (COST_INVENTORY, JSON). */
  readonly costInventory: Inventory;
  /** Largest estimated cost of one environment over its lifetime, in USD (MAX_ESTIMATED_COST_USD). */
  readonly maxEstimatedCostUsd: number;
  /** Minutes before expiry at which `Expiring Soon` is announced (EXPIRY_WARNING_MINUTES, e.g. `30,5`). */
  readonly expiryWarningMinutes: readonly number[];
  /** The function the warning schedules invoke (WARNING_FUNCTION_ARN). */
  readonly warningFunctionArn: string;
}
