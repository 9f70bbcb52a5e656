import type { LocalSystem } from './system.js';

/**
 * The model the random histories are checked against: what a user of the public API may rely on, not the
 * internal states. An environment is created (by the API or a catalog launch), may be extended while live, and
 * ends DELETED or FAILED: DELETED only when its owner deleted it, its catalog product was terminated or it
 * expired; never live again once final; READY only with every check passed; never visible to another owner.
 * Faults make any environment allowed to FAIL, never to break those promises.
 */
export const ACCOUNT = '123456789012';
export const OWNERS_PER_RUN = 3;
export const MAX_ACTIVE_PER_OWNER = 3;
/** Grace after `expiresAt` before an expired environment still alive is a break (the 2 minutes). */
export const EXPIRY_GRACE_MS = 120_000;
/** Clock and scheduling slack when comparing `expiresAt` and a teardown's timing. */
export const SLACK_MS = 5_000;

export const FINAL_STATUSES = ['DELETED', 'FAILED'] as const;
export const LIVE_STATUSES = ['CREATING', 'VALIDATING', 'READY'] as const;

export interface ModelEnvironment {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  readonly source: 'api' | 'service-catalog';
  readonly provisionedProductId?: string;
  /** From the API's answers (create, extend). */
  expiresAt: number;
  /** When its owner's deletion (or its catalog product's termination) was accepted. */
  deleteRequestedAt?: number;
  /** The final status once seen; it must never change again. */
  final?: 'DELETED' | 'FAILED';
  /** Last status seen, for the summary and the messages. */
  lastStatus: string;
}

export interface PendingLaunch {
  readonly owner: string;
  readonly name: string;
  readonly provisionedProductId: string;
  readonly launchedAt: number;
}

/** Counters of a whole run of histories (the chaos summary). */
export interface HistoryStats {
  readonly ops: Record<string, number>;
  readonly faults: Record<string, number>;
  readonly finals: Record<string, number>;
  /** How some operations ended when that is not the operation itself (refused by the quota, by the catalog). */
  readonly outcomes: Record<string, number>;
  /** Seconds spent, by command (its name) and by phase of a history (orphan checks, settling). */
  readonly seconds: Record<string, number>;
  restarts: number;
  histories: number;
  orphans: number;
  readonly breaks: string[];
}

export function emptyStats(): HistoryStats {
  return {
    ops: {},
    faults: {},
    finals: {},
    outcomes: {},
    seconds: {},
    restarts: 0,
    histories: 0,
    orphans: 0,
    breaks: [],
  };
}

/** Runs `work`, adding its duration to `stats.seconds[key]`. */
export async function timed<T>(stats: HistoryStats, key: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    count(stats.seconds, key, (performance.now() - started) / 1000);
  }
}

export function count(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

export class Model {
  readonly environments = new Map<string, ModelEnvironment>();
  readonly pendingLaunches: PendingLaunch[] = [];
  /** Idempotency key → the environment its first create made. */
  readonly idempotencyKeys = new Map<string, { owner: string; id: string; body: unknown }>();
  private names = 0;

  constructor(readonly history: number) {}

  owner(index: number): string {
    return `arn:aws:iam::${ACCOUNT}:user/h${this.history}-u${index % OWNERS_PER_RUN}`;
  }

  get owners(): string[] {
    return Array.from({ length: OWNERS_PER_RUN }, (_, i) => this.owner(i));
  }

  nextName(prefix: string): string {
    this.names += 1;
    return `${prefix}-h${this.history}-${this.names}`;
  }

  /** Environments an operation may target, in creation order (a command picks one by index). */
  list(filter: (e: ModelEnvironment) => boolean = () => true): ModelEnvironment[] {
    return [...this.environments.values()].filter(filter);
  }

  pick(index: number, filter?: (e: ModelEnvironment) => boolean): ModelEnvironment | undefined {
    const candidates = this.list(filter);
    return candidates.length === 0 ? undefined : candidates[index % candidates.length];
  }

  /** Environments of `owner` that may still count against its quota. */
  possiblyActive(owner: string): number {
    // Being deleted still counts (DELETING holds its resources until the teardown ends): only final ones do not.
    const environments = this.list((e) => e.owner === owner && e.final === undefined).length;
    return environments + this.pendingLaunches.filter((l) => l.owner === owner).length;
  }

  /** Catalog launches or environments not final: a launcher restart would lose the stand-in's products. */
  catalogInFlight(): boolean {
    return (
      this.pendingLaunches.length > 0 ||
      this.list((e) => e.source === 'service-catalog' && e.final === undefined).length > 0
    );
  }
}

/** What the commands act on: the real local mode, and where the run's counters go. */
export interface Real {
  readonly system: LocalSystem;
  readonly stats: HistoryStats;
}

export class InvariantBreak extends Error {
  override readonly name = 'InvariantBreak';
}

/** Records the break in the stats and throws it, so the history fails (and fast-check shrinks it). */
export function broken(real: Real, message: string): never {
  real.stats.breaks.push(message);
  throw new InvariantBreak(message);
}
