import autocannon from 'autocannon';

/**
 * API latency under load, with autocannon at a fixed request rate (its latencies corrected for coordinated
 * omission, as it does by default when a rate is set).
 */
export interface LoadResult {
  readonly label: string;
  readonly targetRatePerSecond: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly achievedRatePerSecond: number;
  /** ms */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly statusCodes: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

export interface LoadOptions {
  readonly label: string;
  readonly apiUrl: string;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** Builds the n-th request. */
  readonly request: (n: number) => { method: string; path: string; headers: Record<string, string>; body?: string };
  /** @default 20 */
  readonly connections?: number;
}

export async function measureApiLoad(options: LoadOptions): Promise<LoadResult> {
  let n = 0;
  const result = await autocannon({
    url: options.apiUrl,
    connections: options.connections ?? 20,
    overallRate: options.ratePerSecond,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [
      {
        setupRequest: (raw) => {
          const next = options.request(n);
          n += 1;
          return { ...raw, ...next };
        },
      },
    ],
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, Number(stat.count)]),
  );
  return {
    label: options.label,
    targetRatePerSecond: options.ratePerSecond,
    durationSeconds: result.duration,
    requests: result.requests.total,
    achievedRatePerSecond: result.requests.total / result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
