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
import { CONFIG_CONTEXT_KEY, cdkJsonContext, parseConfig } from '../control-plane/config.js';
import { BUNDLE_TARGET_BYTES, COLD_INIT_TARGET_MS } from '../control-plane/lambda-bundle.js';
import { emulatorClientConfig } from '../local/control-plane-resources.js';
import { synthesizeControlPlane } from '../local/control-plane-template.js';
import { startEmulator } from '../local/emulator-process.js';
import { type LocalControlPlane, startLocalControlPlane } from '../local/launcher.js';
import { measureApiLoad } from './api-load.js';
import { loadPrices, modelBlueprintCost } from './blueprint-cost.js';
import { type BundleResult, functionsOf, measureBundles, measureVariant, type VariantResult } from './bundles.js';
import { createConcurrently, deleteConcurrently } from './concurrency.js';
import { startEmulatorTimingProxy } from './emulator-timing-proxy.js';
import { type LifecycleSample, measureSequentialLifecycles, stateDurations, summarizeLifecycles } from './lifecycle.js';
import { countExecution, countLifecycle, priceLifecycle } from './lifecycle-cost.js';
import { call, principal } from './local-api.js';
import { modelWait } from './polling-model.js';
import { percentile, summarize } from './stats.js';

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

async function main(): Promise<void> {
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
  const run = (section: Section) => only.has(section);
  const cmd = (section: Section) =>
    `npm run bench -- --only ${section}${quick ? ' --quick' : ''}${values.concurrent === undefined || section !== 'concurrency' ? '' : ` --concurrent ${concurrent}`}`;
  const plan = {
    lifecycles: quick ? 3 : 20,
    concurrent,
    apiRate: 200,
    getSeconds: quick ? 3 : 10,
    postSeconds: quick ? 2 : 5,
    coldInitRuns: quick ? 3 : 10,
    coldInitRunsWithSourceMaps: quick ? 3 : 5,
    pollMs: 100,
  };

  // The handlers' metrics middleware warns on every invocation although metrics are off locally: count, not print.
  let silencedWarnings = 0;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('No application metrics to publish')) silencedWarnings += 1;
    else warn(...args);
  };

  const started = now();
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  const loadAverages: { at: string; loadavg: number[] }[] = [];
  const sampleLoad = (at: string) => loadAverages.push({ at, loadavg: loadavg().map((l) => Number(l.toFixed(2))) });
  const progress = (line: string) => console.log(`[bench ${((now() - started) / 1000).toFixed(0)}s] ${line}`);
  sampleLoad('start');
  const deployConfig = parseConfig(cdkJsonContext()[CONFIG_CONTEXT_KEY]);

  // ------------------------------------------------------------------ local mode: lifecycle, concurrency, API
  let checkCreateSeconds: number | undefined;
  if (run('lifecycle') || run('concurrency')) {
    const emulator = await startEmulator();
    const proxy = await startEmulatorTimingProxy(emulator.endpoint);
    // VPCs that are no environment's (moto's default VPC): the region capacity is set so that exactly the
    // concurrent environments fit, and one more is refused (the POST load below measures that refusal).
    const ec2 = new EC2Client(emulatorClientConfig(emulator.endpoint));
    const otherVpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
    ec2.destroy();
    const regionCapacity = plan.concurrent + otherVpcs;
    const probeRunningAt = new Map<string, number>();
    const launcherLines: string[] = [];
    /** The launcher's lines other than tasks starting and stopping (errors of the API, the stand-ins, the sweeper). */
    const notableLauncherLines: string[] = [];
    let local: LocalControlPlane | undefined;
    const startMs = now();
    try {
      local = await startLocalControlPlane({
        port: 0,
        emulatorEndpoint: proxy.endpoint,
        pollMs: plan.pollMs,
        retryIntervalMs: plan.pollMs,
        // Background pollers slowed down so that their emulator calls do not fall into the measured windows;
        // the task stand-in still reconciles before every workflow task, which is what lifecycles wait on.
        schedulerIntervalMs: 30_000,
        sweepIntervalMs: 60_000,
        taskIntervalMs: 30_000,
        logLevel: 'ERROR',
        config: { regionCapacity },
        log: (line) => {
          const running = /^task of (env-[a-z0-9]+) running/.exec(line);
          if (running?.[1]) probeRunningAt.set(running[1], now());
          launcherLines.push(line);
          if (!/^task of env-[a-z0-9]+ (running|stopped)/.test(line)) notableLauncherLines.push(line);
        },
      });
      results.localStartupMs = now() - startMs;
      results.localConfig = {
        pollMs: plan.pollMs,
        maxActivePerOwner: deployConfig.maxActivePerOwner,
        regionCapacity,
        otherVpcsInEmulator: otherVpcs,
        owners: 'one principal for the sequential lifecycles; one principal per environment for the concurrent ones',
        backgroundIntervalsMs: { scheduler: 30_000, sweeper: 60_000, taskReconcile: 30_000 },
      };
      progress(
        `local control plane up in ${fixed(Number(results.localStartupMs))} ms (region capacity ${regionCapacity})`,
      );

      if (run('lifecycle')) {
        // No Wait state is left in the definition: every wait is resumed by its stack's event.
        const waitStates = new Set<string>();
        const samples = await measureSequentialLifecycles(local, {
          count: plan.lifecycles,
          waitStates,
          emulatorRequests: () => proxy.requests(),
          probeRunningAt: (id) => probeRunningAt.get(id),
          onSample: (s, i) =>
            progress(
              `lifecycle ${i + 1}/${plan.lifecycles}: READY in ${fixed(s.create.wallMs)} ms ` +
                `(emulator ${fixed(s.create.emulatorMs)}), DELETED in ${fixed(s.delete.wallMs)} ms`,
            ),
        });
        sampleLoad('after lifecycles');
        const summary = summarizeLifecycles(samples);
        const perState = medianStateDurations(samples);
        // The stack-event function's round trip (DescribeStacks, SendTaskSuccess): what resuming a wait takes.
        const deliveries = local.stackEvents.deliveries().filter((d) => d.endedAt !== undefined);
        checkCreateSeconds =
          percentile(
            deliveries.map((d) => (d.endedAt ?? d.startedAt) - d.startedAt),
            50,
          ) / 1000;
        const eventsOf = (id: string) =>
          deliveries.filter((d) => d.event.detail['stack-id'].includes(`:stack/dsenv-${id}/`)).length;
        const cost = lifecycleCost(samples, eventsOf, deployConfig.heartbeatSeconds, checkCreateSeconds);
        results.lifecycle = { summary, medianStateDurationsMs: perState, samples: samples.map(sampleForJson) };
        results.costPerLifecycle = cost;
        const c = summary.create;
        const d = summary.delete;
        const lc = cmd('lifecycle');
        rows.push(
          row(
            'lifecycle',
            `POST → READY wall, p50 / p99 (n=${samples.length})`,
            `${fixed(c.wallMs.p50)} / ${fixed(c.wallMs.p99)}`,
            'ms',
            '',
            '',
            lc,
          ),
          row(
            'lifecycle',
            '  of which emulator, p50 / p99',
            `${fixed(c.emulatorMs.p50)} / ${fixed(c.emulatorMs.p99)}`,
            'ms',
            '',
            '',
            lc,
          ),
          row(
            'lifecycle',
            '  of which Fargate stand-in (probe start), p50',
            fixed(c.probeStartMs.p50),
            'ms',
            '',
            '',
            lc,
          ),
          row(
            'lifecycle',
            '  control plane share, p50 / p99',
            `${fixed(c.controlPlaneMs.p50)} / ${fixed(c.controlPlaneMs.p99)}`,
            'ms',
            'p50 < 100, p99 < 300',
            verdict(c.controlPlaneMs.p50 < 100 && c.controlPlaneMs.p99 < 300),
            lc,
          ),
          row(
            'lifecycle',
            `DELETE → DELETED wall, p50 / p99`,
            `${fixed(d.wallMs.p50)} / ${fixed(d.wallMs.p99)}`,
            'ms',
            '',
            '',
            lc,
          ),
          row(
            'lifecycle',
            '  of which emulator, p50 / p99',
            `${fixed(d.emulatorMs.p50)} / ${fixed(d.emulatorMs.p99)}`,
            'ms',
            '',
            '',
            lc,
          ),
          row(
            'lifecycle',
            '  control plane share, p50 / p99',
            `${fixed(d.controlPlaneMs.p50)} / ${fixed(d.controlPlaneMs.p99)}`,
            'ms',
            'p50 < 100, p99 < 300',
            verdict(d.controlPlaneMs.p50 < 100 && d.controlPlaneMs.p99 < 300),
            lc,
          ),
          row(
            'cost',
            'state transitions per lifecycle (local, counted)',
            String(cost.local.count.stateTransitions),
            'transitions',
            '≤ 30',
            verdict(cost.local.count.stateTransitions <= 30),
            lc,
          ),
          row(
            'cost',
            'Lambda invocations per lifecycle (local, counted)',
            String(cost.local.count.lambdaInvocations),
            'invocations',
            '',
            '',
            lc,
          ),
          row(
            'cost',
            'control-plane cost per lifecycle (local counts)',
            `$${cost.local.price.totalUsd.toFixed(6)}`,
            'USD',
            '',
            '',
            lc,
          ),
          row(
            'cost',
            `state transitions per lifecycle (AWS model: create ${AWS_ASSUMPTIONS.createStackSeconds / 60} min, teardown ${AWS_ASSUMPTIONS.deleteStackSeconds / 60} min)`,
            String(cost.aws.count.stateTransitions),
            'transitions',
            '≤ 20',
            verdict(cost.aws.count.stateTransitions <= 20),
            lc,
          ),
          row(
            'cost',
            'Lambda invocations per lifecycle (AWS model, ended by its expiry)',
            String(cost.aws.count.lambdaInvocations),
            'invocations',
            '≤ 8',
            verdict(cost.aws.count.lambdaInvocations <= 8),
            lc,
          ),
          row(
            'cost',
            '  the same lifecycle ended by an API DELETE',
            String(cost.aws.withDelete.lambdaInvocations),
            'invocations',
            '',
            '',
            lc,
          ),
          row(
            'cost',
            'control-plane cost per lifecycle (AWS model)',
            `$${cost.aws.price.totalUsd.toFixed(6)}`,
            'USD',
            '≤ $0.001',
            verdict(cost.aws.price.totalUsd <= 0.001),
            lc,
          ),
          row(
            'cost',
            'latency after CloudFormation completes (AWS model: event + handler round trip)',
            fixed(cost.aws.latencyAfterCompletionSeconds, 2),
            's',
            '≤ 2',
            verdict(cost.aws.latencyAfterCompletionSeconds <= 2),
            lc,
          ),
        );
      }

      if (run('concurrency')) {
        const cc = cmd('concurrency');
        progress(`requesting ${plan.concurrent} environments at once`);
        const created = await createConcurrently(local, plan.concurrent, 240_000);
        sampleLoad('after concurrent creation');
        progress(`${created.ready}/${created.requested} READY, last after ${fixed(created.timeToLastReadyMs)} ms`);

        // API latency at a fixed rate while the environments are READY.
        const targets = created.environments;
        let get: Awaited<ReturnType<typeof measureApiLoad>> | undefined;
        let getEmulator: ReturnType<typeof operationSummary> = {};
        if (targets.length > 0) {
          const from = proxy.requests().length;
          get = await measureApiLoad({
            label: 'GET /environments/{id}',
            apiUrl: local.apiUrl,
            ratePerSecond: plan.apiRate,
            durationSeconds: plan.getSeconds,
            request: (n) => {
              const target = targets[n % targets.length] as { id: string; owner: string };
              return { method: 'GET', path: `/environments/${target.id}`, headers: { 'x-principal': target.owner } };
            },
          });
          getEmulator = operationSummary(proxy.requests().slice(from));
          progress(`GET at ${plan.apiRate}/s: p50 ${get.latencyMs.p50} ms, p99 ${get.latencyMs.p99} ms`);
        }
        // POST at a fixed rate: the region is full (exactly the concurrent environments fit), so every request runs
        // the whole create path up to the capacity check (body, owner quota, registry and EC2 reads) and is refused.
        const postFrom = proxy.requests().length;
        const post = await measureApiLoad({
          label: 'POST /environments (region full: 429 after the quota checks)',
          apiUrl: local.apiUrl,
          ratePerSecond: plan.apiRate,
          durationSeconds: plan.postSeconds,
          request: (n) => ({
            method: 'POST',
            path: '/environments',
            headers: { 'content-type': 'application/json', 'x-principal': principal(`bench-load-${n}`) },
            body: JSON.stringify({ name: `load-${n}`, ttlMinutes: 60 }),
          }),
        });
        const postEmulator = operationSummary(proxy.requests().slice(postFrom));
        progress(`POST at ${plan.apiRate}/s: p50 ${post.latencyMs.p50} ms, p99 ${post.latencyMs.p99} ms`);
        sampleLoad('after API load');

        // The load above leaves a backlog of requests the API is still working through (each one a handler and
        // emulator calls in this process); a burst sent into it would time out behind it. Measured settled.
        const settled = await apiSettled(local.apiUrl, targets[0], 90_000);
        results.apiSettledAfterLoadMs = settled;
        progress(`API settled ${fixed(settled)} ms after the load`);

        progress(`deleting ${targets.length} environments at once`);
        const deleted = await deleteConcurrently(local, targets, 240_000);
        sampleLoad('after concurrent deletion');
        const errors = [...created.errors, ...deleted.errors];
        results.concurrency = { ...created, environments: undefined, ...deleted, errors };
        results.apiLoad = {
          get,
          post,
          acceptedPostsAtOnce: created.postMs,
          emulatorDuringGet: getEmulator,
          emulatorDuringPost: postEmulator,
        };
        const emulatorLine = (ops: ReturnType<typeof operationSummary>) =>
          Object.entries(ops)
            .slice(0, 3)
            .map(([op, v]) => `${op.replace(/^DynamoDB_20120810\./, '')} ${fixed(v.p50Ms)}/${fixed(v.p99Ms)}`)
            .join(', ');
        rows.push(
          row(
            'concurrency',
            `environments requested at once → READY`,
            `${created.ready}/${created.requested}`,
            'envs',
            'all',
            verdict(created.ready === created.requested),
            cc,
          ),
          row('concurrency', 'time to the last READY', fixed(created.timeToLastReadyMs), 'ms', '', '', cc),
          row(
            'concurrency',
            'errors (refused, failed, timed out, not deleted)',
            String(errors.length),
            'errors',
            '0',
            verdict(errors.length === 0),
            cc,
          ),
          row(
            'concurrency',
            'time to the last DELETED (all deleted at once)',
            fixed(deleted.timeToLastDeletedMs),
            'ms',
            '',
            '',
            cc,
          ),
          row(
            'api',
            `POST /environments accepted, ${plan.concurrent} at once, p50 / p99`,
            `${fixed(created.postMs.p50)} / ${fixed(created.postMs.p99)}`,
            'ms',
            '',
            '',
            cc,
          ),
        );
        if (get) {
          rows.push(
            row(
              'api',
              `GET /environments/{id} at ${plan.apiRate} req/s, p50 / p99`,
              `${fixed(get.latencyMs.p50, 1)} / ${fixed(get.latencyMs.p99, 1)}`,
              'ms',
              'p99 < 50',
              get.requests > 0 ? verdict(get.latencyMs.p99 < 50) : 'n/a',
              cc,
            ),
            row(
              'api',
              '  achieved rate, non-2xx, errors',
              `${fixed(get.achievedRatePerSecond)}, ${get.requests - (get.statusCodes['200'] ?? 0)}, ${get.errors}`,
              'req/s, n, n',
              '',
              '',
              cc,
            ),
            row('api', '  emulator during it, p50/p99 by call', emulatorLine(getEmulator), 'ms', '', '', cc),
          );
        }
        if (!get) {
          rows.push(row('api', 'GET /environments/{id} under load', 'not measured', '', 'p99 < 50', 'n/a', cc));
        }
        rows.push(
          row(
            'api',
            `POST /environments (region full → 429) at ${plan.apiRate} req/s, p50 / p99`,
            `${fixed(post.latencyMs.p50, 1)} / ${fixed(post.latencyMs.p99, 1)}`,
            'ms',
            'p99 < 50',
            post.requests > 0 ? verdict(post.latencyMs.p99 < 50) : 'n/a',
            cc,
          ),
          row(
            'api',
            '  achieved rate, status codes, errors',
            `${fixed(post.achievedRatePerSecond)}, ${JSON.stringify(post.statusCodes)}, ${post.errors}`,
            'req/s, n, n',
            '',
            '',
            cc,
          ),
          row('api', '  emulator during it, p50/p99 by call', emulatorLine(postEmulator), 'ms', '', '', cc),
        );
      }
      results.emulatorOperations = operationSummary(proxy.requests());
    } finally {
      await local?.stop();
      await proxy.close();
      await emulator.stop();
    }
    results.launcherLines = launcherLines.slice(-50);
    results.notableLauncherLines = notableLauncherLines.slice(0, 200);
  }

  // ------------------------------------------------------------------ bundles
  if (run('bundles')) {
    const bc = cmd('bundles');
    progress('building the Lambda bundles');
    const functions = functionsOf(synthesizeControlPlane().template);
    const deployed = await measureBundles(functions, {
      runs: plan.coldInitRuns,
      runsWithSourceMaps: plan.coldInitRunsWithSourceMaps,
      onBundle: (b) => progress(`${b.entry}: ${fixed(b.bytes / 1000)} kB, cold init ${fixed(b.coldInit.ms)} ms`),
    });
    const sdkFromRuntime = await measureVariant(
      functions,
      {
        label: 'AWS SDK v3 from the Lambda runtime (@aws-sdk/*, @smithy/* external)',
        external: ['@aws-sdk/*', '@smithy/*'],
      },
      plan.coldInitRunsWithSourceMaps,
    );
    sampleLoad('after bundles');
    results.bundles = {
      options: 'control-plane/lambda-bundle.ts: esm, node24, minify, tree shaking, external source map not loaded',
      coldInitRuns: plan.coldInitRuns,
      deployed,
      variants: [sdkFromRuntime],
    };
    rows.push(...bundleRows(deployed, sdkFromRuntime, plan.coldInitRuns, bc));
  }

  // ------------------------------------------------------------------ blueprint
  if (run('blueprint')) {
    const blueprint = modelBlueprintCost();
    results.blueprint = blueprint;
    rows.push(
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
  if (run('polling')) {
    const pc = cmd('polling');
    const checkSeconds = checkCreateSeconds ?? 0.2;
    const wait = (stackSeconds: number) =>
      modelWait({
        pollSeconds: AWS_ASSUMPTIONS.previousPollSeconds,
        stackSeconds,
        checkSeconds,
        eventLatencySeconds: AWS_ASSUMPTIONS.eventLatencySeconds,
        heartbeatSeconds: deployConfig.heartbeatSeconds,
      });
    const create = wait(AWS_ASSUMPTIONS.createStackSeconds);
    const remove = wait(AWS_ASSUMPTIONS.deleteStackSeconds);
    results.polling = {
      previousPollSeconds: AWS_ASSUMPTIONS.previousPollSeconds,
      heartbeatSeconds: deployConfig.heartbeatSeconds,
      checkSeconds,
      checkSecondsSource:
        checkCreateSeconds === undefined
          ? 'assumed'
          : 'local median of the stack-event function (DescribeStacks, SendTaskSuccess)',
      assumptions: AWS_ASSUMPTIONS,
      create,
      delete: remove,
    };
    rows.push(
      row(
        'polling',
        `time-to-ready added by the previous poll every ${AWS_ASSUMPTIONS.previousPollSeconds} s, mean / max`,
        `${fixed(create.polling.meanAddedSeconds, 1)} / ${fixed(create.polling.maxAddedSeconds, 1)}`,
        's',
        '',
        '',
        pc,
      ),
      row(
        'polling',
        'time-to-ready added by stack-status events (assumed delivery + handler)',
        fixed(create.events.meanAddedSeconds, 1),
        's',
        '',
        '',
        pc,
      ),
      row(
        'polling',
        `transitions + invocations waiting for create (${AWS_ASSUMPTIONS.createStackSeconds} s): poll vs events`,
        `${create.polling.stateTransitions}+${create.polling.lambdaInvocations} vs ${create.events.stateTransitions}+${create.events.lambdaInvocations}`,
        'n',
        '',
        '',
        pc,
      ),
      row(
        'polling',
        `transitions + invocations waiting for delete (${AWS_ASSUMPTIONS.deleteStackSeconds} s): poll vs events`,
        `${remove.polling.stateTransitions}+${remove.polling.lambdaInvocations} vs ${remove.events.stateTransitions}+${remove.events.lambdaInvocations}`,
        'n',
        '',
        '',
        pc,
      ),
    );
  }

  sampleLoad('end');
  const totalSeconds = (now() - started) / 1000;
  const report = {
    startedAt: new Date(started).toISOString(),
    totalSeconds,
    quick,
    sections: [...only],
    plan,
    machine: machine(),
    loadAverages,
    silencedMetricsWarnings: silencedWarnings,
    rows,
    ...results,
  };
  const outFile =
    values.out ??
    join(here, 'results', `${new Date(started).toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);

  const m = report.machine;
  console.log();
  console.log(
    `dsenv bench — ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, load average ${loadAverages.map((l) => l.loadavg[0]).join(' → ')}` +
      `${quick ? ' (quick)' : ''}`,
  );
  console.log(formatTable(rows));
  console.log();
  console.log(`percentiles are nearest-rank (p99 of fewer than 100 samples is the maximum); kB = 1000 bytes`);
  console.log(`written ${relative(process.cwd(), outFile)} in ${totalSeconds.toFixed(0)} s`);
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
  const rows: Row[] = [];
  for (const b of deployed) {
    const name = b.entry.replace(/^functions\//, '');
    rows.push(
      row(
        'bundles',
        `${name}: minified size loaded at start (source map apart; ${kB(b.totalBytes)} with on-demand chunks)`,
        kB(b.bytes),
        'kB',
        sizeTarget,
        verdict(b.bytes <= BUNDLE_TARGET_BYTES),
        command,
      ),
      row('bundles', `${name}: cold init, median of ${runs}`, init(b), 'ms', initTarget, verdict(initOk(b)), command),
    );
  }
  const largest = deployed.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const slowest = deployed.reduce((a, b) => (!(b.coldInit.ms <= a.coldInit.ms) ? b : a));
  const runtimeSdk = sdkFromRuntime.results;
  const runtimeSdkLargest = Math.max(...runtimeSdk.map((v) => v.bytes));
  const runtimeSdkSlowest = Math.max(...runtimeSdk.map((v) => v.coldInit.ms));
  const runtimeSdkSlowestCpu = Math.max(...runtimeSdk.map((v) => v.coldInit.cpuMs));
  rows.push(
    row(
      'bundles',
      `largest bundle (${largest.entry})`,
      kB(largest.bytes),
      'kB',
      sizeTarget,
      verdict(largest.bytes <= BUNDLE_TARGET_BYTES),
      command,
    ),
    row(
      'bundles',
      `slowest cold init (${slowest.entry})`,
      init(slowest),
      'ms',
      initTarget,
      verdict(initOk(slowest)),
      command,
    ),
    row('bundles', 'what-if: SDK from the runtime, largest bundle', kB(runtimeSdkLargest), 'kB', '', '', command),
    row(
      'bundles',
      'what-if: SDK from the runtime, slowest cold init (SDK loaded unbundled)',
      `${fixed(runtimeSdkSlowest)} (${fixed(runtimeSdkSlowestCpu)} CPU)`,
      'ms',
      '',
      '',
      command,
    ),
  );
  return rows;
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

/** Counts per lifecycle (the median sample), priced; and the same lifecycle modelled on AWS. */
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
  const countOf = (s: LifecycleSample, apiRequests: number, ipv6ProberPerValidation: number) =>
    countLifecycle(s.executions, {
      apiRequests,
      ipv6ProberPerValidation,
      stackEvents: stackEventsOf(s.environmentId),
      lambdaMs: taskStates(s) + s.apiMs,
      memoryMb,
    });
  const counts = samples.map((s) => countOf(s, 2, 0));
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
    const base = countOf(medianSample, apiRequests, 1);
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
        'local counts of the median lifecycle (no poll: each wait resumed by one stack-status event), plus the IPv6 ' +
        'prober (1 per validation) and one transition and invocation per heartbeat check; ended by its expiry (1 API ' +
        'request); Lambda compute is the local estimate',
    },
  };
}

function operationSummary(requests: readonly { operation: string; start: number; end: number }[]) {
  const byOperation: Record<string, number[]> = {};
  for (const r of requests) {
    const list = byOperation[r.operation] ?? [];
    list.push(r.end - r.start);
    byOperation[r.operation] = list;
  }
  return Object.fromEntries(
    Object.entries(byOperation)
      .map(
        ([operation, ms]) =>
          [operation, { n: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) }] as const,
      )
      .sort((a, b) => b[1].n * b[1].p50Ms - a[1].n * a[1].p50Ms),
  );
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
