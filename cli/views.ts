/**
 * What the CLI reads from the API's answers (functions/schemas/environment.ts and timeline.ts), and how it shows
 * them as text. `-o json` prints the API's bodies unchanged instead.
 */
export interface Environment {
  id: string;
  name: string;
  owner: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  failureReason?: string;
  outputs: { publicUri?: string; localUrls?: string[] };
  cost?: { hourlyUsd: number; totalUsd: number; hours: number; region: string; priceDate: string };
  validation?: { passed: boolean; checks: { name: string; status: string; detail: string }[] };
}

export type TimelineEvent = { at: string; type: string } & Record<string, unknown>;

/** Where the environment answers: its public URI, and in local mode the URLs on this machine. */
export function urlsOf(environment: Environment): string[] {
  const { publicUri, localUrls } = environment.outputs;
  return [...(publicUri === undefined ? [] : [publicUri]), ...(localUrls ?? [])];
}

const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

/** One line per timeline entry: `12:00:03Z  check http-ipv6 passed: 200 in 12 ms`. */
export function describeEvent(event: TimelineEvent): string {
  const at = event.at.slice(11, 19);
  const text = (() => {
    switch (event.type) {
      case 'status':
        return `status ${event.from === undefined ? '' : `${String(event.from)} → `}${String(event.to)}${
          event.reason === undefined ? '' : `: ${String(event.reason)}`
        }`;
      case 'expiry':
        return `expires at ${time(String(event.expiresAt))}`;
      case 'stack':
        return `stack ${String(event.stackStatus)}${
          event.resourcesTotal === undefined
            ? ''
            : ` (${String(event.resourcesDone)}/${String(event.resourcesTotal)} resources)`
        }${event.reason === undefined ? '' : `: ${String(event.reason)}`}`;
      case 'check':
        return `check ${String(event.name)} ${String(event.result)}: ${String(event.detail)}`;
      case 'teardown':
        return `teardown ${String(event.step)} (stack ${String(event.stackStatus)}, ${String(event.remaining)} remaining)`;
      case 'expiring-soon':
        return `expiring in ${String(event.minutesLeft)} min (at ${time(String(event.expiresAt))})`;
      default:
        return `${event.type} ${JSON.stringify(event)}`;
    }
  })();
  return `${at}Z  ${text}`;
}

/** `key  value` lines of one environment. */
export function describeEnvironment(environment: Environment): string {
  const rows: [string, string][] = [
    ['id', environment.id],
    ['name', environment.name],
    ['status', environment.status],
    ['owner', environment.owner],
    ['created', time(environment.createdAt)],
    ['expires', time(environment.expiresAt)],
  ];
  if (environment.failureReason) rows.push(['reason', environment.failureReason]);
  for (const url of urlsOf(environment)) rows.push(['url', url]);
  if (environment.cost) {
    const { hourlyUsd, totalUsd, hours } = environment.cost;
    rows.push(['cost', `$${hourlyUsd.toFixed(4)}/h, $${totalUsd.toFixed(2)} for ${hours.toFixed(1)} h (estimate)`]);
  }
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

/** A table with a header row, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

export function environmentsTable(environments: readonly Environment[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'EXPIRES', 'COST/H'],
    environments.map((e) => [
      e.id,
      e.name,
      e.status,
      time(e.expiresAt),
      e.cost === undefined ? '-' : `$${e.cost.hourlyUsd.toFixed(4)}`,
    ]),
  );
}
