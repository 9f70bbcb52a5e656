import ora, { type Ora } from 'ora';
import { type ApiClient, allPages } from './api-client.js';
import { formatElapsed } from './duration.js';
import { describeEvent, type Environment, type TimelineEvent } from './views.js';

/**
 * Following an environment until it reaches a state: polls GET and the timeline, shows the phase, the stack's
 * resources done/total and the elapsed time (a spinner on a terminal, plain lines otherwise), and prints each
 * new timeline entry (every check as it passes or fails) once.
 */
export interface Reporter {
  /** A lasting line (a timeline entry). */
  line(text: string): void;
  /** The current phase (replaced by the next one). */
  phase(text: string): void;
  stop(): void;
}

/** Spinner on a terminal (ora), else one plain line per change; progress goes to stderr, results to stdout. */
export function reporterFor(stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (stream.isTTY) {
    const spinner: Ora = ora({ stream }).start();
    return {
      line: (text) => {
        spinner.clear();
        stream.write(`${text}\n`);
        spinner.render();
      },
      phase: (text) => {
        spinner.text = text;
      },
      stop: () => spinner.stop(),
    };
  }
  let last = '';
  return {
    line: (text) => stream.write(`${text}\n`),
    phase: (text) => {
      const shown = text.replace(/ · \d+(h\d+m|m\d+s|s)$/, '');
      if (shown !== last) stream.write(`${text}\n`);
      last = shown;
    },
    stop: () => undefined,
  };
}

export type Outcome = 'reached' | 'failed' | 'timedOut';

export interface FollowOptions {
  /** Statuses that end the wait successfully. */
  readonly success: readonly string[];
  /** Statuses that end it as a failure. */
  readonly failure: readonly string[];
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly reporter: Reporter;
  /** Keep printing timeline entries (watch) rather than only the phase. @default true */
  readonly showEvents?: boolean;
}

/** Every timeline entry of `id`, all pages, oldest first. */
export function timelineOf(client: ApiClient, id: string): Promise<TimelineEvent[]> {
  return allPages<TimelineEvent>(client, `/environments/${id}/events`);
}

function stackProgress(events: readonly TimelineEvent[]): string | undefined {
  const last = [...events].reverse().find((e) => e.type === 'stack');
  if (last === undefined) return undefined;
  const counts =
    last.resourcesTotal === undefined ? '' : ` ${String(last.resourcesDone ?? 0)}/${String(last.resourcesTotal)}`;
  return `stack${counts} ${String(last.stackStatus)}`;
}

/** How long the timeline may lag behind the record it is written from (the registry's change stream). */
const TIMELINE_CATCH_UP_MS = 10_000;
const CATCH_UP_POLL_MS = 250;

const reachedIn = (events: readonly TimelineEvent[], status: string) =>
  events.some((e) => e.type === 'status' && e.to === status);

export async function follow(
  client: ApiClient,
  id: string,
  options: FollowOptions,
): Promise<{ environment: Environment; outcome: Outcome }> {
  const started = Date.now();
  let shown = 0;
  const { reporter } = options;
  const show = (events: readonly TimelineEvent[]) => {
    if (options.showEvents !== false) {
      for (const event of events.slice(shown)) reporter.line(describeEvent(event));
    }
    shown = Math.max(shown, events.length);
  };
  try {
    for (;;) {
      const environment = (await client.request<Environment>('GET', `/environments/${id}`)).body;
      let events = await timelineOf(client, id);
      const outcome: Outcome | undefined = options.success.includes(environment.status)
        ? 'reached'
        : options.failure.includes(environment.status)
          ? 'failed'
          : undefined;
      // The timeline is written a moment after the record: at the end, wait for it to tell the same.
      const catchUpBy = Date.now() + TIMELINE_CATCH_UP_MS;
      while (outcome !== undefined && !reachedIn(events, environment.status) && Date.now() < catchUpBy) {
        show(events);
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
        events = await timelineOf(client, id);
      }
      show(events);
      const progress = stackProgress(events);
      const elapsed = formatElapsed(Date.now() - started);
      reporter.phase([environment.status, progress, elapsed].filter(Boolean).join(' · '));
      if (outcome !== undefined) return { environment, outcome };
      if (Date.now() - started > options.timeoutMs) return { environment, outcome: 'timedOut' };
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
  } finally {
    reporter.stop();
  }
}
