import path from 'node:path';
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
  type Stack,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import {
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { ENVIRONMENT_STACK_PREFIX, stackNameFor } from '../functions/domain/naming.js';
import { readLocalImageCommands } from '../functions/shared/local-images.js';
import { freePort } from './emulator-process.js';
import type { LoadBalancerStandIn, LoadBalancerTarget } from './load-balancer-stand-in.js';
import { openEnvironmentPort } from './load-balancer-stand-in.js';
import { type DualListener, loopbackUrl } from './loopback.js';
import {
  buildProbeImage,
  type ProbeImage,
  type ProbeProcess,
  type ProbeProcessOptions,
  startProbeProcess,
} from './probe-process.js';
import { type ServiceProcess, startServiceProcess } from './service-process.js';
import { resolveTaskSecrets, type SecretStores } from './task-secrets.js';

/**
 * Stand-in for the environments' Fargate services (and the wiring of their ALBs): watches the emulator's
 * stacks; when an environment's stack is complete, starts its task (a probe process), routes the
 * stack's `PublicURI` to it on the shared load-balancer listener (which also makes the name resolve in
 * the local DNS) and opens its per-environment URLs; when the stack is deleted, undoes all of that.
 * On AWS, CREATE_COMPLETE of the service means its tasks are running, so `reconcile(environmentId)` is also
 * called before each workflow task: it settles that one environment only, never waiting for the others.
 * Tasks start concurrently (a bounded number at a time) from the probe built once, as an image is.
 * What a task runs is read from its ECS task definition in the emulator, as Fargate reads it: the probe (with its
 * `PROBE_BASE_PATH`) and, when the environment has a service, the service's container as the local command its
 * image is mapped to (`imageCommands`), with the container's command and environment.
 */
export interface LiveEnvironment {
  readonly environmentId: string;
  readonly stackId: string;
  readonly stackName: string;
  /** The load balancer's DNS name (the stack's `PublicURI`). */
  readonly publicUri: string;
  readonly probe: ProbeProcess;
  /** The team's container, when the environment runs one. */
  readonly service?: ServiceProcess;
  readonly port: DualListener;
  /** `http://127.0.0.1:P` and `http://[::1]:P`. */
  readonly localUrls: readonly string[];
}

export interface FargateTaskStandInOptions {
  readonly cloudFormation: CloudFormationClient;
  /** Reads the services' task definitions. Without it every task runs the probe alone. */
  readonly ecs?: ECSClient;
  /** The image → command mapping file (`LOCAL_IMAGE_COMMANDS`). Without it no service container can start. */
  readonly imageCommands?: string;
  /** Where the containers' `secrets` are read (as ECS reads them before a task starts). Without it none can start. */
  readonly secretStores?: SecretStores;
  readonly loadBalancer: LoadBalancerStandIn;
  /** `AWS_ENDPOINT_URL` for the probes (the `[::1]` forwarder to the emulator). */
  readonly probeAwsEndpoint: string;
  /** Writes (or, with `undefined`, removes) an environment's `outputs.localUrls`. */
  readonly publishLocalUrls: (environmentId: string, urls: readonly string[] | undefined) => Promise<void>;
  /** @default 1000 */
  readonly intervalMs?: number;
  /**
   * Tasks starting at the same time. Starting one costs ≈ 0.5 s of CPU, so more than the cores do not finish sooner.
   * @default 4
   */
  readonly maxConcurrentStarts?: number;
  /** Starts one task's process. @default the probe built once by `buildProbeImage` (tsx if the build fails) */
  readonly startProbe?: (options: ProbeProcessOptions) => Promise<ProbeProcess>;
  readonly log?: (message: string) => void;
  readonly onError?: (error: unknown) => void;
}

export interface FargateTaskStandIn {
  /**
   * Without an id, one pass over every stack: starts tasks for complete stacks, stops those of deleted stacks,
   * republishes URLs. With an id, the same for that environment's stack only (and whatever start of its task is
   * already under way is awaited, not repeated).
   */
  reconcile(environmentId?: string): Promise<void>;
  live(): readonly LiveEnvironment[];
  stop(): Promise<void>;
}

const UP_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);

interface StackFacts {
  readonly environmentId: string;
  readonly publicUri: string;
  readonly clusterName?: string;
  readonly serviceName?: string;
}

/** The containers of a task as its definition names them: the probe, and the team's service if any. */
interface TaskContainers {
  readonly probe?: ContainerDefinition;
  readonly service?: ContainerDefinition;
}

const environmentOf = (container: ContainerDefinition | undefined): Record<string, string> =>
  Object.fromEntries((container?.environment ?? []).map((e) => [e.name ?? '', e.value ?? '']));

/** What the stand-in's steps share: the tasks running and starting, the stacks described, the URLs to remove. */
interface TaskFleet {
  readonly options: FargateTaskStandInOptions;
  readonly log: (message: string) => void;
  /** Running tasks, by stack id. */
  readonly live: Map<string, LiveEnvironment>;
  /** Starts under way, by stack id: a pass and the workflow's own reconcile share them. */
  readonly starting: Map<string, Promise<void>>;
  /** Stacks already described: an environment's parent (facts) or not (null). Stack ids never change owner. */
  readonly described: Map<string, StackFacts | null>;
  /** Environments whose URLs must still be removed from the registry (retried until it worked). */
  readonly toUnpublish: Set<string>;
  /** The registry write of each environment's URLs under way: writes of one environment never overlap. */
  readonly publishing: Map<string, Promise<void>>;
  readonly limit: <T>(job: () => Promise<T>) => Promise<T>;
  image: Promise<ProbeImage | undefined> | undefined;
  /** The full pass under way, and whether another one was asked for meanwhile. */
  running: Promise<void> | undefined;
  again: boolean;
  stopped: boolean;
}

export function startFargateTaskStandIn(options: FargateTaskStandInOptions): FargateTaskStandIn {
  const fleet: TaskFleet = {
    options,
    log: options.log ?? (() => undefined),
    live: new Map(),
    starting: new Map(),
    described: new Map(),
    toUnpublish: new Set(),
    publishing: new Map(),
    limit: limiter(options.maxConcurrentStarts ?? 4),
    image: undefined,
    running: undefined,
    again: false,
    stopped: false,
  };
  const timer = setInterval(() => {
    if (!fleet.stopped) reconcile(fleet).catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    reconcile: (environmentId) => reconcile(fleet, environmentId),
    live: () => [...fleet.live.values()],
    stop: async () => {
      fleet.stopped = true;
      clearInterval(timer);
      await stopFleet(fleet);
    },
  };
}

/** Full passes are serialized: concurrent callers share the pass in progress, then one more runs if asked. */
function reconcile(fleet: TaskFleet, environmentId?: string): Promise<void> {
  if (environmentId !== undefined) return reconcileEnvironment(fleet, environmentId);
  if (fleet.running !== undefined) {
    fleet.again = true;
    return fleet.running;
  }
  fleet.running = (async () => {
    do {
      fleet.again = false;
      await reconcileOnce(fleet);
    } while (fleet.again && !fleet.stopped);
  })().finally(() => {
    fleet.running = undefined;
  });
  return fleet.running;
}

/** One pass over every stack: tasks of stacks that are up run, the others' are stopped, URLs republished. */
async function reconcileOnce(fleet: TaskFleet): Promise<void> {
  const stacks = await listEnvironmentStacks(fleet.options.cloudFormation);
  const up = new Map<string, StackSummary>();
  for (const stack of stacks) {
    if (stack.StackId && UP_STATUSES.has(stack.StackStatus ?? '')) up.set(stack.StackId, stack);
  }
  for (const environment of [...fleet.live.values()]) {
    if (!up.has(environment.stackId) || !taskAlive(environment)) await stopTask(fleet, environment);
  }
  const starts: Promise<void>[] = [];
  for (const [stackId, stack] of up) {
    if (fleet.stopped || fleet.live.has(stackId)) continue;
    const facts = await describeOnce(fleet, stackId);
    if (facts) starts.push(ensureTask(fleet, stackId, stack.StackName ?? '', facts));
  }
  const failed = (await Promise.allSettled(starts)).filter((r) => r.status === 'rejected');
  await publish(fleet);
  if (failed[0]) throw failed[0].reason;
}

/**
 * One environment: its task runs exactly when its stack is up. A start of its task already under way (a pass began
 * it while the stack was up) is waited for first: deciding before it lands would leave a task of a deleted stack.
 */
async function reconcileEnvironment(fleet: TaskFleet, environmentId: string): Promise<void> {
  const { live, described } = fleet;
  const startsOfIt = [...fleet.starting].filter(([stackId]) => described.get(stackId)?.environmentId === environmentId);
  await Promise.allSettled(startsOfIt.map(([, start]) => start));
  const stack = await stackOf(fleet.options.cloudFormation, environmentId);
  const stackId = stack?.StackId;
  const isUp = stackId !== undefined && UP_STATUSES.has(stack?.StackStatus ?? '');
  for (const environment of [...live.values()]) {
    if (environment.environmentId !== environmentId) continue;
    if (!isUp || environment.stackId !== stackId || !taskAlive(environment)) await stopTask(fleet, environment);
  }
  if (isUp && stackId && !fleet.stopped && !live.has(stackId)) {
    if (!described.has(stackId)) described.set(stackId, factsOf(stack));
    const facts = described.get(stackId);
    if (facts) await ensureTask(fleet, stackId, stack?.StackName ?? '', facts);
  }
  await publish(fleet, environmentId);
}

async function listEnvironmentStacks(cloudFormation: CloudFormationClient): Promise<StackSummary[]> {
  const stacks: StackSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudFormation.send(new ListStacksCommand({ NextToken: nextToken }));
    stacks.push(...(page.StackSummaries ?? []).filter((s) => s.StackName?.startsWith(ENVIRONMENT_STACK_PREFIX)));
    nextToken = page.NextToken;
  } while (nextToken);
  return stacks;
}

/** An environment's parent stack is `dsenv-<EnvironmentId>` and has a `PublicURI` output. */
function factsOf(stack: Stack | undefined): StackFacts | null {
  const environmentId = stack?.Parameters?.find((p) => p.ParameterKey === 'EnvironmentId')?.ParameterValue;
  const output = (key: string) => stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const publicUri = output('PublicURI');
  const [clusterName, serviceName] = [output('ClusterName'), output('ServiceName')];
  if (!stack || !environmentId || !publicUri || stack.StackName !== stackNameFor(environmentId)) return null;
  return { environmentId, publicUri, ...(clusterName && serviceName ? { clusterName, serviceName } : {}) };
}

async function describeOnce(fleet: TaskFleet, stackId: string): Promise<StackFacts | null> {
  if (fleet.described.has(stackId)) return fleet.described.get(stackId) ?? null;
  const out = await fleet.options.cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
  const facts = factsOf(out.Stacks?.[0]);
  fleet.described.set(stackId, facts);
  return facts;
}

/** The environment's parent stack as CloudFormation describes it by name, if it exists. */
async function stackOf(cloudFormation: CloudFormationClient, environmentId: string): Promise<Stack | undefined> {
  try {
    const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackNameFor(environmentId) }));
    return out.Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test((error as Error).message ?? '')) return undefined;
    throw error;
  }
}

/** Starts the stack's task unless it runs or is starting; resolves when it runs (or failed to start). */
function ensureTask(fleet: TaskFleet, stackId: string, stackName: string, facts: StackFacts): Promise<void> {
  if (fleet.stopped || fleet.live.has(stackId)) return Promise.resolve();
  let start = fleet.starting.get(stackId);
  if (!start) {
    start = fleet
      .limit(() => startTask(fleet, stackId, stackName, facts))
      .finally(() => fleet.starting.delete(stackId));
    fleet.starting.set(stackId, start);
  }
  return start;
}

/** Starts the task's containers, then routes the environment's name and its own port to them. */
async function startTask(fleet: TaskFleet, stackId: string, stackName: string, facts: StackFacts): Promise<void> {
  if (fleet.stopped) return;
  const containers = await containersOf(fleet.options.ecs, facts);
  const [probe, service] = await Promise.allSettled([
    startProbe(fleet, facts.environmentId, environmentOf(containers.probe).PROBE_BASE_PATH),
    containers.service ? startService(fleet, facts.environmentId, containers.service) : Promise.resolve(undefined),
  ]);
  const started = [probe, service].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const failure = [probe, service].find((r) => r.status === 'rejected');
  if (fleet.stopped || failure || probe.status !== 'fulfilled' || service.status !== 'fulfilled') {
    await Promise.all(started.map((p) => p.stop()));
    if (failure) throw failure.reason;
    return;
  }
  const probeTarget = { host: '127.0.0.1', port: probe.value.port };
  const target: LoadBalancerTarget = service.value
    ? { servicePort: service.value.port, probe: probeTarget }
    : probeTarget;
  const port = await openEnvironmentPort(target);
  fleet.options.loadBalancer.register(facts.publicUri, target);
  const localUrls = [loopbackUrl('127.0.0.1', port.port), loopbackUrl('::1', port.port)];
  const serviceFields = service.value ? { service: service.value } : {};
  fleet.live.set(stackId, { ...facts, stackId, stackName, probe: probe.value, ...serviceFields, port, localUrls });
  fleet.toUnpublish.delete(facts.environmentId);
  const pids = service.value
    ? `probe pid ${probe.value.pid}, service pid ${service.value.pid}`
    : `pid ${probe.value.pid}`;
  fleet.log(`task of ${facts.environmentId} running (${pids}); ${localUrls.join(' ')}`);
}

/** The containers of the environment's ECS service, from its task definition in the emulator. */
async function containersOf(ecs: ECSClient | undefined, facts: StackFacts): Promise<TaskContainers> {
  if (!ecs || !facts.clusterName || !facts.serviceName) return {};
  const { services } = await ecs.send(
    new DescribeServicesCommand({ cluster: facts.clusterName, services: [facts.serviceName] }),
  );
  const taskDefinition = services?.[0]?.taskDefinition;
  if (!taskDefinition) return {};
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
  const containers = described.taskDefinition?.containerDefinitions ?? [];
  return {
    probe: containers.find((c) => c.name === 'probe'),
    service: containers.find((c) => c.name !== 'probe'),
  };
}

/** The probe built on first use; without a build (esbuild failed), tasks run the sources through tsx. */
function probeImage(fleet: TaskFleet): Promise<ProbeImage | undefined> {
  fleet.image ??= buildProbeImage().catch((error: unknown) => {
    fleet.log(`probe build failed, tasks run through tsx: ${(error as Error).message}`);
    return undefined;
  });
  return fleet.image;
}

async function startProbe(
  fleet: TaskFleet,
  environmentId: string,
  basePath: string | undefined,
): Promise<ProbeProcess> {
  const probeOptions = {
    awsEndpoint: fleet.options.probeAwsEndpoint,
    onOutput: (line: string) => fleet.log(`[probe ${environmentId}] ${line}`),
    ...(basePath ? { basePath } : {}),
  };
  if (fleet.options.startProbe) return fleet.options.startProbe(probeOptions);
  const built = await probeImage(fleet);
  return startProbeProcess(built ? { ...probeOptions, image: built } : probeOptions);
}

/**
 * Starts the service container as the command its image is mapped to, with its command, its environment and its
 * secrets (read first: one that cannot be read fails the start, as ECS fails the task).
 */
async function startService(
  fleet: TaskFleet,
  environmentId: string,
  container: ContainerDefinition,
): Promise<ServiceProcess> {
  const { imageCommands } = fleet.options;
  const image = container.image ?? '';
  if (!imageCommands) throw new Error(`no image mapping file: cannot run ${image}`);
  const mapping = readLocalImageCommands(imageCommands).images[image];
  if (!mapping) throw new Error(`${image} is not in ${imageCommands}: its task cannot start`);
  const folder = path.dirname(imageCommands);
  const { secrets = [] } = container;
  const stores = fleet.options.secretStores;
  if (!stores && secrets.length > 0) throw new Error('no secret stores: cannot read its secrets');
  const secretValues = stores ? await resolveTaskSecrets(stores, secrets) : {};
  return startServiceProcess({
    argv: [...mapping.command, ...(container.command ?? [])],
    cwd: path.resolve(folder, mapping.cwd ?? '.'),
    environment: { ...environmentOf(container), ...secretValues },
    port: await freePort(),
    onOutput: (line) => fleet.log(`[service ${environmentId}] ${line}`),
  });
}

const taskAlive = (environment: LiveEnvironment) => environment.probe.alive() && (environment.service?.alive() ?? true);

async function stopTask(fleet: TaskFleet, environment: LiveEnvironment): Promise<void> {
  // A pass and the workflow's own reconcile may both find it gone: only the first one stops it.
  if (fleet.live.get(environment.stackId) !== environment) return;
  fleet.live.delete(environment.stackId);
  await releaseTask(fleet.options.loadBalancer, environment);
  fleet.toUnpublish.add(environment.environmentId);
  fleet.log(`task of ${environment.environmentId} stopped`);
}

/** Takes the environment off the listener, closes its port and stops its processes. */
async function releaseTask(loadBalancer: LoadBalancerStandIn, environment: LiveEnvironment): Promise<void> {
  loadBalancer.unregister(environment.publicUri);
  await environment.port.close();
  await Promise.all([environment.probe.stop(), environment.service?.stop()]);
}

/**
 * Writes the URLs of running tasks (every time: a handler that rewrites `outputs` drops them) and removes old ones.
 * A write reads the record first, so two writes of one environment must not overlap: a pass writing a task's URLs
 * while the workflow's reconcile stops that task would otherwise put them back after their removal.
 */
async function publish(fleet: TaskFleet, environmentId?: string): Promise<void> {
  for (const environment of [...fleet.live.values()]) {
    if (environmentId !== undefined && environment.environmentId !== environmentId) continue;
    await publishing(fleet, environment.environmentId, async () => {
      // Stopped while an earlier write was under way: its URLs are being removed.
      if (fleet.live.get(environment.stackId) !== environment) return;
      await fleet.options.publishLocalUrls(environment.environmentId, environment.localUrls);
    });
  }
  for (const id of [...fleet.toUnpublish]) {
    if (environmentId !== undefined && id !== environmentId) continue;
    await publishing(fleet, id, () => fleet.options.publishLocalUrls(id, undefined));
    fleet.toUnpublish.delete(id);
  }
}

/** Runs `write` once the environment's write under way (if any) is over. */
function publishing(fleet: TaskFleet, environmentId: string, write: () => Promise<void>): Promise<void> {
  const previous = fleet.publishing.get(environmentId) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(write);
  fleet.publishing.set(environmentId, next);
  const forget = () => {
    if (fleet.publishing.get(environmentId) === next) fleet.publishing.delete(environmentId);
  };
  next.then(forget, forget);
  return next;
}

/** Once the pass and the starts under way are over, every task is stopped and the probe image disposed of. */
async function stopFleet(fleet: TaskFleet): Promise<void> {
  await fleet.running?.catch(() => undefined);
  await Promise.allSettled([...fleet.starting.values()]);
  for (const environment of [...fleet.live.values()]) {
    fleet.live.delete(environment.stackId);
    await releaseTask(fleet.options.loadBalancer, environment);
  }
  await (await fleet.image)?.dispose();
}

/** Runs at most `max` of the given jobs at a time, the others in the order they came. */
function limiter(max: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= max) return;
    const resume = queue.shift();
    if (resume) {
      active += 1;
      resume();
    }
  };
  return (job) =>
    new Promise((resolve, reject) => {
      queue.push(() => {
        job()
          .then(resolve, reject)
          .finally(() => {
            active -= 1;
            next();
          });
      });
      next();
    });
}
