/**
 * `npm run bench`: what the control plane costs in time, requests and money. Prints one table (every figure with
 * its unit, its target and the command that reproduces it) and writes everything measured to
 * bench/results/<time>.json, with the machine it ran on.
 *
 *   npm run bench                          # everything (≈ 6–8 min on 2 cores)
 *   npm run bench -- --quick               # fewer environments and runs, for development (≈ 2 min)
 *   npm run bench -- --only bundles,polling
 *   npm run bench -- --only concurrency --concurrent 25   # another number of environments at once
 *
 * Sections: lifecycle (overhead and cost per lifecycle), concurrency (50 at once, and API latency under load),
 * bundles, blueprint, polling.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CONFIG_CONTEXT_KEY, type ControlPlaneConfig, cdkJsonContext, parseConfig } from '../control-plane/config.js';
import { BUNDLE_TARGET_BYTES, COLD_INIT_TARGET_MS } from '../control-plane/lambda-bundle.js';
import { emulatorClientConfig } from '../local/control-plane-resources.js';
import { synthesizeControlPlane } from '../local/control-plane-template.js';
import { startEmulator } from '../local/emulator-process.js';
import { type LocalControlPlane, type LocalControlPlaneOptions, startLocalControlPlane } from '../local/launcher.js';
import { type LoadResult, measureApiLoad } from './api-load.js';
import { loadPrices, modelBlueprintCost } from './blueprint-cost.js';
import { type BundleResult, functionsOf, measureBundles, measureVariant, type VariantResult } from './bundles.js';
import { createConcurrently, deleteConcurrently } from './concurrency.js';
import {
  type EmulatorTimingProxy,
  type OperationSummary,
  operationSummary,
  startEmulatorTimingProxy,
} from './emulator-timing-proxy.js';
import { type LifecycleSample, measureSequentialLifecycles, stateDurations, summarizeLifecycles } from './lifecycle.js';
import { countExecution, countLifecycle, priceLifecycle } from './lifecycle-cost.js';
import { call, principal } from './local-api.js';
import { modelWait, type PollingModel } from './polling-model.js';
import { percentile, type Summary, summarize } from './stats.js';

const SECTIONS = ['lifecycle', 'concurrency', 'bundles', 'blueprint', 'polling'] as const;
type Section = (typeof SECTIONS)[number];

/** Assumptions of the AWS model (the emulator completes stacks at once, so these cannot be measured locally). */
const AWS_ASSUMPTIONS = {
  createStackSeconds: 300,
  deleteStackSeconds: 180,
  eventLatencySeconds: 1,
  /** The poll loop of the design before stack-status events, for the comparison rows. */
  previousPollSeconds: 15,
  why:
    'A VPC + dual-stack ALB + ECS service stack typically takes about 5 min to create and 3 min to delete; ' +
    'EventBridge delivers CloudFormation status events typically within a second. Not measured here.',
};

interface Row {
  section: string;
  figure: string;
  value: string;
  unit: string;
  target: string;
  verdict: '' | 'met' | 'missed' | 'n/a';
  command: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const verdict = (met: boolean): Row['verdict'] => (met ? 'met' : 'missed');

function machine() {
  const cpu = cpus();
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    commit = undefined;
  }
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGb: Number((totalmem() / 1024 ** 3).toFixed(1)),
    freeMemoryGb: Number((freemem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    os: `${process.platform} ${release()}`,
    commit,
  };
}

function formatTable(rows: readonly Row[]): string {
  const header: Row = {
    section: 'section',
    figure: 'figure',
    value: 'value',
    unit: 'unit',
    target: 'target',
    verdict: '',
    command: 'reproduce',
  };
  const cells = (r: Row) => [r.section, r.figure, r.value, r.unit, r.target, r.verdict, r.command];
  const all = [header, ...rows].map(cells);
  const widths = cells(header).map((_, i) => Math.max(...all.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c.map((cell, i) => (i === 2 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [line(all[0] as string[]), rule, ...all.slice(1).map(line)].join('\n');
}

/** What the command line asks for. */
interface BenchOptions {
  readonly quick: boolean;
  readonly only: ReadonlySet<string>;
  readonly concurrent: number;
  /** `--concurrent` as given, if it was: the concurrency section's command then repeats it. */
  readonly concurrentArg: string | undefined;
  readonly out: string | undefined;
}

/** How much each section measures. */
type Plan = ReturnType<typeof benchPlan>;

/** One run: what the sections add their rows and results to. */
interface Bench {
  readonly options: BenchOptions;
  readonly plan: Plan;
  readonly started: number;
  readonly deployConfig: ControlPlaneConfig;
  readonly rows: Row[];
  readonly results: Record<string, unknown>;
  readonly loadAverages: { at: string; loadavg: number[] }[];
}

/** An API load test and the emulator calls made during it. */
interface MeasuredLoad {
  readonly load: LoadResult;
  readonly emulator: OperationSummary;
}

/** Background pollers slowed down in local mode, so that their emulator calls stay out of the measured windows. */
const BACKGROUND_INTERVALS_MS = { scheduler: 30_000, sweeper: 60_000, taskReconcile: 30_000 };

async function main(): Promise<void> {
  const options = parseOptions();
  const silencedWarnings = countMetricsWarnings();
  const bench = startBench(options);

  let checkCreateSeconds: number | undefined;
  if (runs(bench, 'lifecycle') || runs(bench, 'concurrency')) checkCreateSeconds = await measureLocalMode(bench);
  if (runs(bench, 'bundles')) await measureBundleSection(bench);
  if (runs(bench, 'blueprint')) modelBlueprint(bench);
  if (runs(bench, 'polling')) modelPolling(bench, checkCreateSeconds);

  sampleLoad(bench, 'end');
  const { report, outFile } = writeReport(bench, silencedWarnings());
  printReport(report, outFile);
}

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      concurrent: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const only = new Set(
    (values.only ?? SECTIONS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const section of only) {
    if (!SECTIONS.includes(section as Section)) throw new Error(`unknown section ${section}: ${SECTIONS.join(', ')}`);
  }
  const concurrent = values.concurrent === undefined ? (quick ? 5 : 50) : Number(values.concurrent);
  if (!Number.isInteger(concurrent) || concurrent < 1)
    throw new Error(`--concurrent ${values.concurrent}: not a count`);
  return { quick, only, concurrent, concurrentArg: values.concurrent, out: values.out };
}

function benchPlan({ quick, concurrent }: BenchOptions) {
  return {
    lifecycles: quick ? 3 : 20,
    concurrent,
    apiRate: 200,
    getSeconds: quick ? 3 : 10,
    postSeconds: quick ? 2 : 5,
    coldInitRuns: quick ? 3 : 10,
    coldInitRunsWithSourceMaps: quick ? 3 : 5,
    pollMs: 100,
  };
}

/**
 * The handlers' metrics middleware warns on every invocation although metrics are off locally: count, not print.
 * Returns the count so far.
 */
function countMetricsWarnings(): () => number {
  let silenced = 0;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('No application metrics to publish')) silenced += 1;
    else warn(...args);
  };
  return () => silenced;
}

function startBench(options: BenchOptions): Bench {
  const bench: Bench = {
    options,
    plan: benchPlan(options),
    started: now(),
    deployConfig: parseConfig(cdkJsonContext()[CONFIG_CONTEXT_KEY]),
    rows: [],
    results: {},
    loadAverages: [],
  };
  sampleLoad(bench, 'start');
  return bench;
}

function runs(bench: Bench, section: Section): boolean {
  return bench.options.only.has(section);
}

/** The command that reproduces a section's figures. */
function commandFor({ quick, concurrent, concurrentArg }: BenchOptions, section: Section): string {
  const concurrency = concurrentArg === undefined || section !== 'concurrency' ? '' : ` --concurrent ${concurrent}`;
  return `npm run bench -- --only ${section}${quick ? ' --quick' : ''}${concurrency}`;
}

function sampleLoad(bench: Bench, at: string): void {
  bench.loadAverages.push({ at, loadavg: loadavg().map((l) => Number(l.toFixed(2))) });
}

function progress(bench: Bench, line: string): void {
  console.log(`[bench ${((now() - bench.started) / 1000).toFixed(0)}s] ${line}`);
}

/** A section's rows, all reproduced by `command`; a figure without a target has no verdict. */
function rowsOf(section: string, command: string) {
  return (figure: string, value: string, unit: string, target = '', result: Row['verdict'] = ''): Row =>
    row(section, figure, value, unit, target, result, command);
}

// ------------------------------------------------------------------ local mode: lifecycle, concurrency, API

/**
 * The lifecycle and concurrency sections, on one emulator (behind the timing proxy) and one local control plane.
 * Returns the stack-event function's median round trip (s) when the lifecycles measured it.
 */
async function measureLocalMode(bench: Bench): Promise<number | undefined> {
  const emulator = await startEmulator();
  const proxy = await startEmulatorTimingProxy(emulator.endpoint);
  // VPCs that are no environment's (moto's default VPC): the region capacity is set so that exactly the
  // concurrent environments fit, and one more is refused (the POST load below measures that refusal).
  const otherVpcs = await countVpcs(emulator.endpoint);
  const regionCapacity = bench.plan.concurrent + otherVpcs;
  const launcherLog = watchLauncherLog();
  let local: LocalControlPlane | undefined;
  let checkCreateSeconds: number | undefined;
  const startMs = now();
  try {
    local = await startLocalControlPlane(localOptions(bench.plan, proxy.endpoint, regionCapacity, launcherLog.log));
    recordLocalStartup(bench, now() - startMs, regionCapacity, otherVpcs);
    if (runs(bench, 'lifecycle')) {
      checkCreateSeconds = await measureLifecycles(bench, local, proxy, launcherLog.probeRunningAt);
    }
    if (runs(bench, 'concurrency')) await measureConcurrency(bench, local, proxy);
    bench.results.emulatorOperations = operationSummary(proxy.requests());
  } finally {
    await local?.stop();
    await proxy.close();
    await emulator.stop();
  }
  bench.results.launcherLines = launcherLog.lines.slice(-50);
  bench.results.notableLauncherLines = launcherLog.notable.slice(0, 200);
  return checkCreateSeconds;
}

async function countVpcs(emulatorEndpoint: string): Promise<number> {
  const ec2 = new EC2Client(emulatorClientConfig(emulatorEndpoint));
  const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
  ec2.destroy();
  return vpcs;
}

/** The launcher's lines, and when each environment's probe task started running. */
function watchLauncherLog() {
  const probeRunningAt = new Map<string, number>();
  const lines: string[] = [];
  /** The launcher's lines other than tasks starting and stopping (errors of the API, the stand-ins, the sweeper). */
  const notable: string[] = [];
  const log = (line: string) => {
    const running = /^task of (env-[a-z0-9]+) running/.exec(line);
    if (running?.[1]) probeRunningAt.set(running[1], now());
    lines.push(line);
    if (!/^task of env-[a-z0-9]+ (running|stopped)/.test(line)) notable.push(line);
  };
  return { probeRunningAt, lines, notable, log };
}

function localOptions(
  plan: Plan,
  emulatorEndpoint: string,
  regionCapacity: number,
  log: (line: string) => void,
): LocalControlPlaneOptions {
  return {
    port: 0,
    emulatorEndpoint,
    pollMs: plan.pollMs,
    retryIntervalMs: plan.pollMs,
    // Background pollers slowed down so that their emulator calls do not fall into the measured windows;
    // the task stand-in still reconciles before every workflow task, which is what lifecycles wait on.
    schedulerIntervalMs: BACKGROUND_INTERVALS_MS.scheduler,
    sweepIntervalMs: BACKGROUND_INTERVALS_MS.sweeper,
    taskIntervalMs: BACKGROUND_INTERVALS_MS.taskReconcile,
    logLevel: 'ERROR',
    config: { regionCapacity },
    log,
  };
}

function recordLocalStartup(bench: Bench, startupMs: number, regionCapacity: number, otherVpcs: number): void {
  bench.results.localStartupMs = startupMs;
  bench.results.localConfig = {
    pollMs: bench.plan.pollMs,
    maxActivePerOwner: bench.deployConfig.maxActivePerOwner,
    regionCapacity,
    otherVpcsInEmulator: otherVpcs,
    owners: 'one principal for the sequential lifecycles; one principal per environment for the concurrent ones',
    backgroundIntervalsMs: BACKGROUND_INTERVALS_MS,
  };
  progress(bench, `local control plane up in ${fixed(startupMs)} ms (region capacity ${regionCapacity})`);
}

/**
 * Sequential lifecycles: their overhead, their states' durations and their cost. Returns the stack-event
 * function's median round trip (s).
 */
async function measureLifecycles(
  bench: Bench,
  local: LocalControlPlane,
  proxy: EmulatorTimingProxy,
  probeRunningAt: ReadonlyMap<string, number>,
): Promise<number> {
  const { plan } = bench;
  // No Wait state is left in the definition: every wait is resumed by its stack's event.
  const waitStates = new Set<string>();
  const samples = await measureSequentialLifecycles(local, {
    count: plan.lifecycles,
    waitStates,
    emulatorRequests: () => proxy.requests(),
    probeRunningAt: (id) => probeRunningAt.get(id),
    onSample: (s, i) =>
      progress(
        bench,
        `lifecycle ${i + 1}/${plan.lifecycles}: READY in ${fixed(s.create.wallMs)} ms ` +
          `(emulator ${fixed(s.create.emulatorMs)}), DELETED in ${fixed(s.delete.wallMs)} ms`,
      ),
  });
  sampleLoad(bench, 'after lifecycles');
  const summary = summarizeLifecycles(samples);
  const perState = medianStateDurations(samples);
  // The stack-event function's round trip (DescribeStacks, SendTaskSuccess): what resuming a wait takes.
  const deliveries = local.stackEvents.deliveries().filter((d) => d.endedAt !== undefined);
  const checkCreateSeconds =
    percentile(
      deliveries.map((d) => (d.endedAt ?? d.startedAt) - d.startedAt),
      50,
    ) / 1000;
  const eventsOf = (id: string) =>
    deliveries.filter((d) => d.event.detail['stack-id'].includes(`:stack/dsenv-${id}/`)).length;
  const cost = lifecycleCost(samples, eventsOf, bench.deployConfig.heartbeatSeconds, checkCreateSeconds);
  bench.results.lifecycle = { summary, medianStateDurationsMs: perState, samples: samples.map(sampleForJson) };
  bench.results.costPerLifecycle = cost;
  const command = commandFor(bench.options, 'lifecycle');
  bench.rows.push(...lifecycleRows(summary, samples.length, command), ...lifecycleCostRows(cost, command));
  return checkCreateSeconds;
}

function lifecycleRows(summary: ReturnType<typeof summarizeLifecycles>, n: number, command: string): Row[] {
  const r = rowsOf('lifecycle', command);
  const c = summary.create;
  const d = summary.delete;
  return [
    r(`POST → READY wall, p50 / p99 (n=${n})`, `${fixed(c.wallMs.p50)} / ${fixed(c.wallMs.p99)}`, 'ms'),
    r('  of which emulator, p50 / p99', `${fixed(c.emulatorMs.p50)} / ${fixed(c.emulatorMs.p99)}`, 'ms'),
    r('  of which Fargate stand-in (probe start), p50', fixed(c.probeStartMs.p50), 'ms'),
    r(
      '  control plane share, p50 / p99',
      `${fixed(c.controlPlaneMs.p50)} / ${fixed(c.controlPlaneMs.p99)}`,
      'ms',
      'p50 < 100, p99 < 300',
      verdict(c.controlPlaneMs.p50 < 100 && c.controlPlaneMs.p99 < 300),
    ),
    r(`DELETE → DELETED wall, p50 / p99`, `${fixed(d.wallMs.p50)} / ${fixed(d.wallMs.p99)}`, 'ms'),
    r('  of which emulator, p50 / p99', `${fixed(d.emulatorMs.p50)} / ${fixed(d.emulatorMs.p99)}`, 'ms'),
    r(
      '  control plane share, p50 / p99',
      `${fixed(d.controlPlaneMs.p50)} / ${fixed(d.controlPlaneMs.p99)}`,
      'ms',
      'p50 < 100, p99 < 300',
      verdict(d.controlPlaneMs.p50 < 100 && d.controlPlaneMs.p99 < 300),
    ),
  ];
}

function lifecycleCostRows(cost: ReturnType<typeof lifecycleCost>, command: string): Row[] {
  const r = rowsOf('cost', command);
  const { local, aws } = cost;
  return [
    r(
      'state transitions per lifecycle (local, counted)',
      String(local.count.stateTransitions),
      'transitions',
      '≤ 30',
      verdict(local.count.stateTransitions <= 30),
    ),
    r('Lambda invocations per lifecycle (local, counted)', String(local.count.lambdaInvocations), 'invocations'),
    r('control-plane cost per lifecycle (local counts)', `$${local.price.totalUsd.toFixed(6)}`, 'USD'),
    r(
      `state transitions per lifecycle (AWS model: create ${AWS_ASSUMPTIONS.createStackSeconds / 60} min, teardown ${AWS_ASSUMPTIONS.deleteStackSeconds / 60} min)`,
      String(aws.count.stateTransitions),
      'transitions',
      '≤ 20',
      verdict(aws.count.stateTransitions <= 20),
    ),
    r(
      'Lambda invocations per lifecycle (AWS model, ended by its expiry)',
      String(aws.count.lambdaInvocations),
      'invocations',
      '≤ 8',
      verdict(aws.count.lambdaInvocations <= 8),
    ),
    r('  the same lifecycle ended by an API DELETE', String(aws.withDelete.lambdaInvocations), 'invocations'),
    r(
      'control-plane cost per lifecycle (AWS model)',
      `$${aws.price.totalUsd.toFixed(6)}`,
      'USD',
      '≤ $0.001',
      verdict(aws.price.totalUsd <= 0.001),
    ),
    r(
      'latency after CloudFormation completes (AWS model: event + handler round trip)',
      fixed(aws.latencyAfterCompletionSeconds, 2),
      's',
      '≤ 2',
      verdict(aws.latencyAfterCompletionSeconds <= 2),
    ),
  ];
}

/** Environments requested at once, the API's latency under load while they are READY, then all deleted at once. */
async function measureConcurrency(bench: Bench, local: LocalControlPlane, proxy: EmulatorTimingProxy): Promise<void> {
  const { plan } = bench;
  progress(bench, `requesting ${plan.concurrent} environments at once`);
  const created = await createConcurrently(local, plan.concurrent, 240_000);
  sampleLoad(bench, 'after concurrent creation');
  progress(bench, `${created.ready}/${created.requested} READY, last after ${fixed(created.timeToLastReadyMs)} ms`);

  const targets = created.environments;
  const get = targets.length > 0 ? await measureGetLoad(bench, local, proxy, targets) : undefined;
  const post = await measurePostLoad(bench, local, proxy);
  sampleLoad(bench, 'after API load');

  // The load above leaves a backlog of requests the API is still working through (each one a handler and
  // emulator calls in this process); a burst sent into it would time out behind it. Measured settled.
  const settled = await apiSettled(local.apiUrl, targets[0], 90_000);
  bench.results.apiSettledAfterLoadMs = settled;
  progress(bench, `API settled ${fixed(settled)} ms after the load`);

  progress(bench, `deleting ${targets.length} environments at once`);
  const deleted = await deleteConcurrently(local, targets, 240_000);
  sampleLoad(bench, 'after concurrent deletion');
  const errors = [...created.errors, ...deleted.errors];
  bench.results.concurrency = { ...created, environments: undefined, ...deleted, errors };
  bench.results.apiLoad = {
    get: get?.load,
    post: post.load,
    acceptedPostsAtOnce: created.postMs,
    emulatorDuringGet: get?.emulator ?? {},
    emulatorDuringPost: post.emulator,
  };
  const command = commandFor(bench.options, 'concurrency');
  const r = rowsOf('concurrency', command);
  bench.rows.push(
    r(
      `environments requested at once → READY`,
      `${created.ready}/${created.requested}`,
      'envs',
      'all',
      verdict(created.ready === created.requested),
    ),
    r('time to the last READY', fixed(created.timeToLastReadyMs), 'ms'),
    r(
      'errors (refused, failed, timed out, not deleted)',
      String(errors.length),
      'errors',
      '0',
      verdict(errors.length === 0),
    ),
    r('time to the last DELETED (all deleted at once)', fixed(deleted.timeToLastDeletedMs), 'ms'),
    ...apiLoadRows(bench.plan, created.postMs, get, post, command),
  );
}

/** One fixed-rate API load with what the emulator answered meanwhile (to tell its share of the latency). */
async function measureLoadWithEmulator(
  bench: Bench,
  proxy: EmulatorTimingProxy,
  what: string,
  spec: Parameters<typeof measureApiLoad>[0],
): Promise<MeasuredLoad> {
  const from = proxy.requests().length;
  const load = await measureApiLoad(spec);
  const emulator = operationSummary(proxy.requests().slice(from));
  progress(bench, `${what} at ${spec.ratePerSecond}/s: p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms`);
  return { load, emulator };
}

/** API latency at a fixed rate: GET of the READY environments, each by its owner. */
function measureGetLoad(
  bench: Bench,
  local: LocalControlPlane,
  proxy: EmulatorTimingProxy,
  targets: readonly { id: string; owner: string }[],
): Promise<MeasuredLoad> {
  return measureLoadWithEmulator(bench, proxy, 'GET', {
    label: 'GET /environments/{id}',
    apiUrl: local.apiUrl,
    ratePerSecond: bench.plan.apiRate,
    durationSeconds: bench.plan.getSeconds,
    request: (n) => {
      const target = targets[n % targets.length] as { id: string; owner: string };
      return { method: 'GET', path: `/environments/${target.id}`, headers: { 'x-principal': target.owner } };
    },
  });
}

/**
 * POST at a fixed rate: the region is full (exactly the concurrent environments fit), so every request runs the
 * whole create path up to the capacity check (body, owner quota, registry and EC2 reads) and is refused.
 */
function measurePostLoad(bench: Bench, local: LocalControlPlane, proxy: EmulatorTimingProxy): Promise<MeasuredLoad> {
  return measureLoadWithEmulator(bench, proxy, 'POST', {
    label: 'POST /environments (region full: 429 after the quota checks)',
    apiUrl: local.apiUrl,
    ratePerSecond: bench.plan.apiRate,
    durationSeconds: bench.plan.postSeconds,
    request: (n) => ({
      method: 'POST',
      path: '/environments',
      headers: { 'content-type': 'application/json', 'x-principal': principal(`bench-load-${n}`) },
      body: JSON.stringify({ name: `load-${n}`, ttlMinutes: 60 }),
    }),
  });
}

function apiLoadRows(
  plan: Plan,
  acceptedPostMs: Summary,
  get: MeasuredLoad | undefined,
  post: MeasuredLoad,
  command: string,
): Row[] {
  const r = rowsOf('api', command);
  const getRows = get
    ? [
        r(
          `GET /environments/{id} at ${plan.apiRate} req/s, p50 / p99`,
          `${fixed(get.load.latencyMs.p50, 1)} / ${fixed(get.load.latencyMs.p99, 1)}`,
          'ms',
          'p99 < 50',
          get.load.requests > 0 ? verdict(get.load.latencyMs.p99 < 50) : 'n/a',
        ),
        r(
          '  achieved rate, non-2xx, errors',
          `${fixed(get.load.achievedRatePerSecond)}, ${get.load.requests - (get.load.statusCodes['200'] ?? 0)}, ${get.load.errors}`,
          'req/s, n, n',
        ),
        r('  emulator during it, p50/p99 by call', emulatorLine(get.emulator), 'ms'),
      ]
    : [r('GET /environments/{id} under load', 'not measured', '', 'p99 < 50', 'n/a')];
  return [
    r(
      `POST /environments accepted, ${plan.concurrent} at once, p50 / p99`,
      `${fixed(acceptedPostMs.p50)} / ${fixed(acceptedPostMs.p99)}`,
      'ms',
    ),
    ...getRows,
    r(
      `POST /environments (region full → 429) at ${plan.apiRate} req/s, p50 / p99`,
      `${fixed(post.load.latencyMs.p50, 1)} / ${fixed(post.load.latencyMs.p99, 1)}`,
      'ms',
      'p99 < 50',
      post.load.requests > 0 ? verdict(post.load.latencyMs.p99 < 50) : 'n/a',
    ),
    r(
      '  achieved rate, status codes, errors',
      `${fixed(post.load.achievedRatePerSecond)}, ${JSON.stringify(post.load.statusCodes)}, ${post.load.errors}`,
      'req/s, n, n',
    ),
    r('  emulator during it, p50/p99 by call', emulatorLine(post.emulator), 'ms'),
  ];
}

/** The three calls the emulator spent most time on: `operation p50/p99`. */
function emulatorLine(ops: OperationSummary): string {
  return Object.entries(ops)
    .slice(0, 3)
    .map(([op, v]) => `${op.replace(/^DynamoDB_20120810\./, '')} ${fixed(v.p50Ms)}/${fixed(v.p99Ms)}`)
    .join(', ');
}

// ------------------------------------------------------------------ bundles

async function measureBundleSection(bench: Bench): Promise<void> {
  const { plan } = bench;
  progress(bench, 'building the Lambda bundles');
  const functions = functionsOf(synthesizeControlPlane().template);
  const deployed = await measureBundles(functions, {
    runs: plan.coldInitRuns,
    runsWithSourceMaps: plan.coldInitRunsWithSourceMaps,
    onBundle: (b) => progress(bench, `${b.entry}: ${fixed(b.bytes / 1000)} kB, cold init ${fixed(b.coldInit.ms)} ms`),
  });
  const sdkFromRuntime = await measureVariant(
    functions,
    {
      label: 'AWS SDK v3 from the Lambda runtime (@aws-sdk/*, @smithy/* external)',
      external: ['@aws-sdk/*', '@smithy/*'],
    },
    plan.coldInitRunsWithSourceMaps,
  );
  sampleLoad(bench, 'after bundles');
  bench.results.bundles = {
    options: 'control-plane/lambda-bundle.ts: esm, node24, minify, tree shaking, external source map not loaded',
    coldInitRuns: plan.coldInitRuns,
    deployed,
    variants: [sdkFromRuntime],
  };
  bench.rows.push(...bundleRows(deployed, sdkFromRuntime, plan.coldInitRuns, commandFor(bench.options, 'bundles')));
}

// ------------------------------------------------------------------ blueprint

function modelBlueprint(bench: Bench): void {
  const blueprint = modelBlueprintCost();
  bench.results.blueprint = blueprint;
  bench.rows.push(
    row(
      'blueprint',
      'environment-hour, parameter defaults',
      `$${blueprint.totalUsdPerHour.toFixed(4)}`,
      'USD/h',
      '≤ 0.11',
      verdict(blueprint.totalUsdPerHour <= 0.11),
      'npm run cost',
    ),
  );
}

// ------------------------------------------------------------------ polling vs events

/** The waits for a stack on AWS, with the previous poll and with stack-status events (a model, not measured). */
function modelPolling(bench: Bench, checkCreateSeconds: number | undefined): void {
  const { heartbeatSeconds } = bench.deployConfig;
  const checkSeconds = checkCreateSeconds ?? 0.2;
  const wait = (stackSeconds: number) =>
    modelWait({
      pollSeconds: AWS_ASSUMPTIONS.previousPollSeconds,
      stackSeconds,
      checkSeconds,
      eventLatencySeconds: AWS_ASSUMPTIONS.eventLatencySeconds,
      heartbeatSeconds,
    });
  const create = wait(AWS_ASSUMPTIONS.createStackSeconds);
  const remove = wait(AWS_ASSUMPTIONS.deleteStackSeconds);
  bench.results.polling = {
    previousPollSeconds: AWS_ASSUMPTIONS.previousPollSeconds,
    heartbeatSeconds,
    checkSeconds,
    checkSecondsSource:
      checkCreateSeconds === undefined
        ? 'assumed'
        : 'local median of the stack-event function (DescribeStacks, SendTaskSuccess)',
    assumptions: AWS_ASSUMPTIONS,
    create,
    delete: remove,
  };
  bench.rows.push(...pollingRows(create, remove, commandFor(bench.options, 'polling')));
}

function pollingRows(create: PollingModel, remove: PollingModel, command: string): Row[] {
  const r = rowsOf('polling', command);
  const waiting = (m: PollingModel) =>
    `${m.polling.stateTransitions}+${m.polling.lambdaInvocations} vs ${m.events.stateTransitions}+${m.events.lambdaInvocations}`;
  return [
    r(
      `time-to-ready added by the previous poll every ${AWS_ASSUMPTIONS.previousPollSeconds} s, mean / max`,
      `${fixed(create.polling.meanAddedSeconds, 1)} / ${fixed(create.polling.maxAddedSeconds, 1)}`,
      's',
    ),
    r(
      'time-to-ready added by stack-status events (assumed delivery + handler)',
      fixed(create.events.meanAddedSeconds, 1),
      's',
    ),
    r(
      `transitions + invocations waiting for create (${AWS_ASSUMPTIONS.createStackSeconds} s): poll vs events`,
      waiting(create),
      'n',
    ),
    r(
      `transitions + invocations waiting for delete (${AWS_ASSUMPTIONS.deleteStackSeconds} s): poll vs events`,
      waiting(remove),
      'n',
    ),
  ];
}

// ------------------------------------------------------------------ report

/** Everything measured, with the plan and the machine, written to the results file. */
function writeReport(bench: Bench, silencedWarnings: number) {
  const { options, started } = bench;
  const totalSeconds = (now() - started) / 1000;
  const report = {
    startedAt: new Date(started).toISOString(),
    totalSeconds,
    quick: options.quick,
    sections: [...options.only],
    plan: bench.plan,
    machine: machine(),
    loadAverages: bench.loadAverages,
    silencedMetricsWarnings: silencedWarnings,
    rows: bench.rows,
    ...bench.results,
  };
  const outFile =
    options.out ??
    join(
      here,
      'results',
      `${new Date(started).toISOString().replace(/[:.]/g, '-')}${options.quick ? '-quick' : ''}.json`,
    );
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  return { report, outFile };
}

function printReport(
  report: Pick<Bench, 'rows' | 'loadAverages'> & {
    machine: ReturnType<typeof machine>;
    quick: boolean;
    totalSeconds: number;
  },
  outFile: string,
): void {
  const m = report.machine;
  console.log();
  console.log(
    `dsenv bench — ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, load average ${report.loadAverages.map((l) => l.loadavg[0]).join(' → ')}` +
      `${report.quick ? ' (quick)' : ''}`,
  );
  console.log(formatTable(report.rows));
  console.log();
  console.log(`percentiles are nearest-rank (p99 of fewer than 100 samples is the maximum); kB = 1000 bytes`);
  console.log(`written ${relative(process.cwd(), outFile)} in ${report.totalSeconds.toFixed(0)} s`);
}

/**
 * Waits until the API answers a GET of `target` (or of an unknown id) in under 500 ms twice in a row, i.e. the
 * backlog of a load test is worked off; returns how long that took (ms), or NaN after `timeoutMs`.
 */
async function apiSettled(
  apiUrl: string,
  target: { id: string; owner: string } | undefined,
  timeoutMs: number,
): Promise<number> {
  const started = now();
  let fast = 0;
  while (now() - started < timeoutMs) {
    const res = await call(apiUrl, 'GET', `/environments/${target?.id ?? 'env-000000000000'}`, {
      ...(target ? { owner: target.owner } : {}),
    }).catch(() => undefined);
    fast = res && res.ms < 500 ? fast + 1 : 0;
    if (fast >= 2) return now() - started;
    await new Promise((r) => setTimeout(r, 250));
  }
  return Number.NaN;
}

/**
 * One size row and one cold-init row per function, then the largest of each; every figure beside its target
 * (BUNDLE_TARGET_BYTES, COLD_INIT_TARGET_MS).
 */
function bundleRows(
  deployed: readonly BundleResult[],
  sdkFromRuntime: { results: readonly VariantResult[] },
  runs: number,
  command: string,
): Row[] {
  const kB = (bytes: number) => fixed(bytes / 1000);
  const sizeTarget = `≤ ${kB(BUNDLE_TARGET_BYTES)}`;
  const initTarget = `< ${COLD_INIT_TARGET_MS}`;
  const initOk = (b: BundleResult) => b.coldInit.error === undefined && b.coldInit.ms < COLD_INIT_TARGET_MS;
  const init = (b: BundleResult) =>
    b.coldInit.error
      ? 'failed'
      : `${fixed(b.coldInit.ms)} (${fixed(b.coldInit.cpuMs)} CPU; ${fixed(b.coldInitWithSourceMaps.ms)} with maps)`;
  const r = rowsOf('bundles', command);
  const rows = deployed.flatMap((b) => {
    const name = b.entry.replace(/^functions\//, '');
    return [
      r(
        `${name}: minified size loaded at start (source map apart; ${kB(b.totalBytes)} with on-demand chunks)`,
        kB(b.bytes),
        'kB',
        sizeTarget,
        verdict(b.bytes <= BUNDLE_TARGET_BYTES),
      ),
      r(`${name}: cold init, median of ${runs}`, init(b), 'ms', initTarget, verdict(initOk(b))),
    ];
  });
  const largest = deployed.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const slowest = deployed.reduce((a, b) => (!(b.coldInit.ms <= a.coldInit.ms) ? b : a));
  const runtimeSdk = sdkFromRuntime.results;
  const runtimeSdkLargest = Math.max(...runtimeSdk.map((v) => v.bytes));
  const runtimeSdkSlowest = Math.max(...runtimeSdk.map((v) => v.coldInit.ms));
  const runtimeSdkSlowestCpu = Math.max(...runtimeSdk.map((v) => v.coldInit.cpuMs));
  return [
    ...rows,
    r(
      `largest bundle (${largest.entry})`,
      kB(largest.bytes),
      'kB',
      sizeTarget,
      verdict(largest.bytes <= BUNDLE_TARGET_BYTES),
    ),
    r(`slowest cold init (${slowest.entry})`, init(slowest), 'ms', initTarget, verdict(initOk(slowest))),
    r('what-if: SDK from the runtime, largest bundle', kB(runtimeSdkLargest), 'kB'),
    r(
      'what-if: SDK from the runtime, slowest cold init (SDK loaded unbundled)',
      `${fixed(runtimeSdkSlowest)} (${fixed(runtimeSdkSlowestCpu)} CPU)`,
      'ms',
    ),
  ];
}

function row(
  section: string,
  figure: string,
  value: string,
  unit: string,
  target: string,
  result: Row['verdict'],
  command: string,
): Row {
  return { section, figure, value, unit, target, verdict: result, command };
}

/** Median duration of each state over the samples, per workflow. */
function medianStateDurations(samples: readonly LifecycleSample[]) {
  const collect = (index: number) => {
    const byState: Record<string, number[]> = {};
    for (const sample of samples) {
      const execution = sample.executions[index];
      if (!execution) continue;
      for (const [state, ms] of Object.entries(stateDurations(execution))) {
        byState[state] = [...(byState[state] ?? []), ms];
      }
    }
    return Object.fromEntries(Object.entries(byState).map(([state, ms]) => [state, percentile(ms, 50)]));
  };
  return { provision: collect(0), teardown: collect(1) };
}

/**
 * Cost per lifecycle, counted locally and modelled for AWS. Locally every wait is resumed by one stack-status
 * event (the stack-event function is a Lambda invocation on AWS). The AWS model takes the local counts of the
 * median lifecycle and adds what only AWS has: the IPv6 prober (1 per validation) and a heartbeat check (one
 * transition, one invocation) for every heartbeat that passes while CloudFormation works (create 5 min, teardown
 * 3 min). Its lifecycle ends by its expiry (POST only; the schedule starts the teardown without a function);
 * the row below it shows the same lifecycle ended by an API DELETE.
 */
function lifecycleCost(
  samples: readonly LifecycleSample[],
  stackEventsOf: (environmentId: string) => number,
  heartbeatSeconds: number,
  handlerSeconds: number,
) {
  const prices = loadPrices();
  const memoryMb = 512;
  const taskStates = (sample: LifecycleSample) =>
    sample.executions.reduce(
      (sum, e) =>
        sum +
        Object.entries(stateDurations(e))
          .filter(([state]) => (e.taskInvocations[state] ?? 0) > 0)
          .reduce((s, [, ms]) => s + ms, 0),
      0,
    );
  const countOf = (s: LifecycleSample, apiRequests: number) =>
    countLifecycle(s.executions, {
      apiRequests,
      stackEvents: stackEventsOf(s.environmentId),
      lambdaMs: taskStates(s) + s.apiMs,
      memoryMb,
    });
  const counts = samples.map((s) => countOf(s, 2));
  const transitions = counts.map((c) => c.stateTransitions);
  const median = counts.find((c) => c.stateTransitions === percentile(transitions, 50)) ?? counts[0];
  if (!median) throw new Error('no lifecycle to count');
  const medianSample = samples[counts.indexOf(median)] as LifecycleSample;
  const waits = [AWS_ASSUMPTIONS.createStackSeconds, AWS_ASSUMPTIONS.deleteStackSeconds].map((stackSeconds) =>
    modelWait({
      pollSeconds: AWS_ASSUMPTIONS.previousPollSeconds,
      stackSeconds,
      checkSeconds: handlerSeconds,
      eventLatencySeconds: AWS_ASSUMPTIONS.eventLatencySeconds,
      heartbeatSeconds,
    }),
  );
  const checks = waits.reduce((sum, w) => sum + w.events.heartbeatChecks, 0);
  const onAws = (apiRequests: number) => {
    const base = countOf(medianSample, apiRequests);
    return {
      ...base,
      stateTransitions: base.stateTransitions + checks,
      lambdaInvocations: base.lambdaInvocations + checks,
      lambdaInvocationsBy: { ...base.lambdaInvocationsBy, tasks: base.lambdaInvocationsBy.tasks + checks },
    };
  };
  const aws = onAws(1);
  return {
    transitionsPerSample: summarize(transitions),
    local: { count: median, price: priceLifecycle(median, prices) },
    aws: {
      count: aws,
      price: priceLifecycle(aws, prices),
      withDelete: onAws(2),
      heartbeatSeconds,
      heartbeatChecks: checks,
      latencyAfterCompletionSeconds: Math.max(...waits.map((w) => w.events.maxAddedSeconds)),
      assumptions: AWS_ASSUMPTIONS,
      note:
        'local counts of the median lifecycle (no poll: each wait resumed by one stack-status event; the IPv6 prober ' +
        'is a task, ProbeIpv6), plus one transition and invocation per heartbeat check; ended by its expiry (1 API ' +
        'request); Lambda compute is the local estimate',
    },
  };
}

function sampleForJson(sample: LifecycleSample) {
  return {
    environmentId: sample.environmentId,
    create: sample.create,
    delete: sample.delete,
    finalStatus: sample.finalStatus,
    executions: sample.executions.map((e) => ({
      name: e.name,
      status: e.status,
      taskInvocations: e.taskInvocations,
      stateTransitions: countExecution(e).stateTransitions,
      stateDurationsMs: stateDurations(e),
    })),
  };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
