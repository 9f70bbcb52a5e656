/** The exit codes of `dsenv` (docs/cli.md). */
export const EXIT = {
  /** The command did what it was asked: READY, DELETED, or the request was answered. */
  ok: 0,
  /** A usage error, or a request the API refused (400, 409, 422, 429, 5xx, no connection). */
  usage: 1,
  /** The environment ended FAILED. */
  failed: 2,
  /** `--wait` / `watch` gave up before the environment reached the state waited for. */
  timedOut: 3,
  /** Not authorised (401/403) or no such environment for this caller (404). */
  notFound: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
