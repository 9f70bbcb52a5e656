import fc from 'fast-check';
import { commandArbitraries } from './commands.js';
import { broken, type HistoryStats, Model, type Real, timed } from './lifecycle-model.js';
import { checkNoOrphans, checkView } from './model-invariants.js';
import type { LocalSystem } from './system.js';

/**
 * Random histories against the real local mode, checked against the model (fast-check model-based testing):
 * each history is a fresh set of owners; after its commands every environment is deleted by its owner and must
 * settle in a true final state with nothing left behind. A failing history is shrunk and reported with its seed.
 */
export interface HistoryOptions {
  readonly system: LocalSystem;
  readonly stats: HistoryStats;
  readonly seed: number;
  /** Histories to run. */
  readonly histories: number;
  /** Commands per history (at most). */
  readonly commands: number;
  /** Include 1-minute TTLs (expiries happen within the run). */
  readonly shortTtl: boolean;
  /** Include launcher restarts. */
  readonly restarts: boolean;
  /** Stop starting new histories (and shrinking) after this long. */
  readonly timeLimitMs: number;
  /** Stop (pass the remaining histories at once) once this many operations ran. @default no target */
  readonly opsTarget?: number;
  /** Longest wait for every environment to settle at the end of a history. */
  readonly settleMs?: number;
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What an orphan line is about (an environment, a provisioned product), to tell old leftovers from new ones. */
function orphanKey(line: string): string {
  return /(env-[a-z0-9]{12}|pp-[a-z0-9]+)/.exec(line)?.[1] ?? line;
}

/** After a failed history: its environments are deleted (best effort), so that they do not fail later ones. */
async function cleanUp(model: Model, real: Real, timeoutMs: number): Promise<void> {
  for (const env of model.list((e) => e.final === undefined)) {
    await real.system.request(env.owner, 'DELETE', `/environments/${env.id}`).catch(() => undefined);
  }
  const deadline = Date.now() + timeoutMs;
  for (const env of model.list((e) => e.final === undefined)) {
    while (Date.now() < deadline) {
      const res = await real.system.request(env.owner, 'GET', `/environments/${env.id}`).catch(() => undefined);
      if (res === undefined || res.status !== 200 || ['DELETED', 'FAILED'].includes(String(res.body.status))) break;
      await sleep(500);
    }
  }
}

/**
 * Deletes every environment still live (as its owner) and waits until all are final; then the orphan check, for
 * what this history left (`baseline`: what was there before it, e.g. left by a failed history being shrunk).
 */
export async function settle(
  model: Model,
  real: Real,
  timeoutMs: number,
  baseline: ReadonlySet<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await timed(real.stats, 'settling: catalog launches', async () => {
    while (model.pendingLaunches.length > 0 && Date.now() < deadline) {
      await checkView(model, real);
      await sleep(500);
    }
  });
  for (const env of model.list((e) => e.final === undefined && e.deleteRequestedAt === undefined)) {
    const res = await real.system.request(env.owner, 'DELETE', `/environments/${env.id}`);
    if (res.status !== 202)
      broken(real, `settling: DELETE ${env.id} answered ${res.status} ${JSON.stringify(res.body)}`);
    env.deleteRequestedAt = Date.now();
  }
  await timed(real.stats, 'settling: teardowns', async () => {
    for (;;) {
      await checkView(model, real);
      const open = model.list((e) => e.final === undefined);
      if (open.length === 0 && model.pendingLaunches.length === 0) break;
      if (Date.now() > deadline) {
        broken(real, `not final after settling: ${open.map((e) => `${e.id} ${e.lastStatus}`).join(', ')}`);
      }
      await sleep(500);
    }
  });
  const orphans = (await timed(real.stats, 'settling: orphan check', () => checkNoOrphans(real))).filter(
    (o) => !baseline.has(orphanKey(o)),
  );
  real.stats.orphans += orphans.length;
  if (orphans.length > 0) broken(real, `left behind: ${orphans.join('; ')}`);
}

/** Runs the histories; resolves with fast-check's report of the (shrunk) failure, or undefined when all held. */
export async function runHistories(options: HistoryOptions): Promise<string | undefined> {
  const real: Real = { system: options.system, stats: options.stats };
  let history = 0;
  // What was left before a history: unchanged by one that settled clean (it left nothing), so it is looked for
  // again only at the start and after a failed history.
  let baseline: Set<string> | undefined;
  const ranOps = () => Object.values(options.stats.ops).reduce((sum, n) => sum + n, 0);
  // Once the target is reached no further operation runs, not even in the history under way (it settles); but a
  // history failed, its shrinking replays candidates in full (the target would cut them short and hide the break).
  let shrinking = false;
  const targetReached = () => !shrinking && options.opsTarget !== undefined && ranOps() >= options.opsTarget;
  const property = fc.asyncProperty(
    fc.commands(commandArbitraries({ ...options, done: targetReached }), {
      maxCommands: options.commands,
      size: 'max',
    }),
    async (commands) => {
      if (targetReached()) return;
      history += 1;
      options.stats.histories += 1;
      const model = new Model(history);
      const started = Date.now();
      try {
        if (baseline === undefined) {
          const found = await timed(options.stats, 'orphan check (before)', () => checkNoOrphans(real));
          baseline = new Set(found.map(orphanKey));
        }
        const before = baseline;
        await fc.asyncModelRun(() => ({ model, real }), commands);
        await settle(model, real, options.settleMs ?? 180_000, before);
      } catch (error) {
        shrinking = true;
        baseline = undefined;
        await cleanUp(model, real, 60_000);
        throw error;
      } finally {
        options.log?.(`history ${history}: ${String(commands)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        await options.system.faults.clear().catch(() => undefined);
      }
    },
  );
  const result = await fc.check(property, {
    seed: options.seed,
    numRuns: options.histories,
    endOnFailure: false,
    plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs)],
  });
  if (!result.failed) return undefined;
  const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
  return `${fc.defaultReportMessage(result) ?? 'failed'}\nBroken: ${error}`;
}
