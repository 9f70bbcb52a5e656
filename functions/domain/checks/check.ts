import type { Check, CheckName } from '../../schemas/environment.js';

/** What a check concluded, before it is named. `skipped` means it could not run (never counts as passed). */
export type CheckOutcome = Omit<Check, 'name'>;

export const passed = (detail: string): CheckOutcome => ({ status: 'passed', detail });
export const failed = (detail: string): CheckOutcome => ({ status: 'failed', detail });
export const skipped = (detail: string): CheckOutcome => ({ status: 'skipped', detail });

/**
 * Runs one check with a deadline. A check that throws or does not answer in time has run and failed; it is
 * never reported as passed.
 */
export async function runCheck(name: CheckName, timeoutMs: number, run: () => Promise<CheckOutcome>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve(failed(`no result within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const outcome = await Promise.race([run(), deadline]);
    return { name, ...outcome };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    return { name, status: 'failed', detail: `${e.name ?? 'Error'}: ${e.message ?? String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
