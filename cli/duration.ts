/** Durations on the command line: `30m`, `2h`, `1h30m`, `1d`, `90s`, or a bare number of minutes. */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in `text`; throws a usage error for anything else. */
export function parseDurationSeconds(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 60;
  const parts = [...trimmed.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`"${text}" is not a duration (examples: 30m, 2h, 1h30m, 1d)`);
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (UNIT_SECONDS[unit as string] ?? 0), 0);
}

/** Whole minutes (rounded up) in `text`, at least one: what the API's ttlMinutes takes. */
export function parseDurationMinutes(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds <= 0) throw new UsageError(`"${text}" must be longer than zero`);
  return Math.ceil(seconds / 60);
}

/** `1h05m`, `4m12s`, `9s`. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A mistake on the command line (exit code 1). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
