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

export function startFargateTaskStandIn(options: FargateTaskStandInOptions): FargateTaskStandIn {
  const log = options.log ?? (() => undefined);
  const live = new Map<string, LiveEnvironment>(); // by stack id
  /** Starts under way, by stack id: a pass and the workflow's own reconcile share them. */
  const starting = new Map<string, Promise<void>>();
  /** Stacks already described: an environment's parent (facts) or not (null). Stack ids never change owner. */
  const described = new Map<string, StackFacts | null>();
  /** Environments whose URLs must still be removed from the registry (retried until it worked). */
  const toUnpublish = new Set<string>();
  const limit = limiter(options.maxConcurrentStarts ?? 4);
  let image: Promise<ProbeImage | undefined> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  /** The probe built on first use; without a build (esbuild failed), tasks run the sources through tsx. */
  function probeImage(): Promise<ProbeImage | undefined> {
    image ??= buildProbeImage().catch((error: unknown) => {
      log(`probe build failed, tasks run through tsx: ${(error as Error).message}`);
      return undefined;
    });
    return image;
  }

  async function startProbe(environmentId: string, basePath: string | undefined): Promise<ProbeProcess> {
    const probeOptions = {
      awsEndpoint: options.probeAwsEndpoint,
      onOutput: (line: string) => log(`[probe ${environmentId}] ${line}`),
      ...(basePath ? { basePath } : {}),
    };
    if (options.startProbe) return options.startProbe(probeOptions);
    const built = await probeImage();
    return startProbeProcess(built ? { ...probeOptions, image: built } : probeOptions);
  }

  async function listStacks(): Promise<StackSummary[]> {
    const stacks: StackSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await options.cloudFormation.send(new ListStacksCommand({ NextToken: nextToken }));
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

  /** The containers of the environment's ECS service, from its task definition in the emulator. */
  async function containersOf(facts: StackFacts): Promise<TaskContainers> {
    if (!options.ecs || !facts.clusterName || !facts.serviceName) return {};
    const { services } = await options.ecs.send(
      new DescribeServicesCommand({ cluster: facts.clusterName, services: [facts.serviceName] }),
    );
    const taskDefinition = services?.[0]?.taskDefinition;
    if (!taskDefinition) return {};
    const described = await options.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
    const containers = described.taskDefinition?.containerDefinitions ?? [];
    return {
      probe: containers.find((c) => c.name === 'probe'),
      service: containers.find((c) => c.name !== 'probe'),
    };
  }

  /** Starts the service container as the command its image is mapped to, with its command and environment. */
  async function startService(environmentId: string, container: ContainerDefinition): Promise<ServiceProcess> {
    const image = container.image ?? '';
    if (!options.imageCommands) throw new Error(`no image mapping file: cannot run ${image}`);
    const mapping = readLocalImageCommands(options.imageCommands).images[image];
    if (!mapping) throw new Error(`${image} is not in ${options.imageCommands}: its task cannot start`);
    const folder = path.dirname(options.imageCommands);
    return startServiceProcess({
      argv: [...mapping.command, ...(container.command ?? [])],
      cwd: path.resolve(folder, mapping.cwd ?? '.'),
      environment: environmentOf(container),
      port: await freePort(),
      onOutput: (line) => log(`[service ${environmentId}] ${line}`),
    });
  }

  async function describe(stackId: string): Promise<StackFacts | null> {
    if (described.has(stackId)) return described.get(stackId) ?? null;
    const out = await options.cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
    const facts = factsOf(out.Stacks?.[0]);
    described.set(stackId, facts);
    return facts;
  }

  /** The environment's parent stack as CloudFormation describes it by name, if it exists. */
  async function stackOf(environmentId: string): Promise<Stack | undefined> {
    try {
      const out = await options.cloudFormation.send(
        new DescribeStacksCommand({ StackName: stackNameFor(environmentId) }),
      );
      return out.Stacks?.[0];
    } catch (error) {
      if (/does not exist/.test((error as Error).message ?? '')) return undefined;
      throw error;
    }
  }

  /** Starts the stack's task unless it runs or is starting; resolves when it runs (or failed to start). */
  function ensureTask(stackId: string, stackName: string, facts: StackFacts): Promise<void> {
    if (stopped || live.has(stackId)) return Promise.resolve();
    let start = starting.get(stackId);
    if (!start) {
      start = limit(() => startTask(stackId, stackName, facts)).finally(() => starting.delete(stackId));
      starting.set(stackId, start);
    }
    return start;
  }

  async function startTask(stackId: string, stackName: string, facts: StackFacts): Promise<void> {
    if (stopped) return;
    const containers = await containersOf(facts);
    const [probe, service] = await Promise.allSettled([
      startProbe(facts.environmentId, environmentOf(containers.probe).PROBE_BASE_PATH),
      containers.service ? startService(facts.environmentId, containers.service) : Promise.resolve(undefined),
    ]);
    const started = [probe, service].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const failure = [probe, service].find((r) => r.status === 'rejected');
    if (stopped || failure || probe.status !== 'fulfilled' || service.status !== 'fulfilled') {
      await Promise.all(started.map((p) => p.stop()));
      if (failure) throw failure.reason;
      return;
    }
    const probeTarget = { host: '127.0.0.1', port: probe.value.port };
    const target: LoadBalancerTarget = service.value
      ? { servicePort: service.value.port, probe: probeTarget }
      : probeTarget;
    const port = await openEnvironmentPort(target);
    options.loadBalancer.register(facts.publicUri, target);
    const localUrls = [loopbackUrl('127.0.0.1', port.port), loopbackUrl('::1', port.port)];
    const serviceFields = service.value ? { service: service.value } : {};
    live.set(stackId, { ...facts, stackId, stackName, probe: probe.value, ...serviceFields, port, localUrls });
    toUnpublish.delete(facts.environmentId);
    const pids = service.value
      ? `probe pid ${probe.value.pid}, service pid ${service.value.pid}`
      : `pid ${probe.value.pid}`;
    log(`task of ${facts.environmentId} running (${pids}); ${localUrls.join(' ')}`);
  }

  const taskAlive = (environment: LiveEnvironment) =>
    environment.probe.alive() && (environment.service?.alive() ?? true);

  async function stopTask(environment: LiveEnvironment): Promise<void> {
    // A pass and the workflow's own reconcile may both find it gone: only the first one stops it.
    if (live.get(environment.stackId) !== environment) return;
    live.delete(environment.stackId);
    options.loadBalancer.unregister(environment.publicUri);
    await environment.port.close();
    await Promise.all([environment.probe.stop(), environment.service?.stop()]);
    toUnpublish.add(environment.environmentId);
    log(`task of ${environment.environmentId} stopped`);
  }

  /** Writes the URLs of running tasks (every time: a handler that rewrites `outputs` drops them) and removes old ones. */
  async function publish(environmentId?: string): Promise<void> {
    for (const environment of live.values()) {
      if (environmentId !== undefined && environment.environmentId !== environmentId) continue;
      await options.publishLocalUrls(environment.environmentId, environment.localUrls);
    }
    for (const id of [...toUnpublish]) {
      if (environmentId !== undefined && id !== environmentId) continue;
      await options.publishLocalUrls(id, undefined);
      toUnpublish.delete(id);
    }
  }

  async function reconcileOnce(): Promise<void> {
    const stacks = await listStacks();
    const up = new Map<string, StackSummary>();
    for (const stack of stacks) {
      if (stack.StackId && UP_STATUSES.has(stack.StackStatus ?? '')) up.set(stack.StackId, stack);
    }
    for (const environment of [...live.values()]) {
      if (!up.has(environment.stackId) || !taskAlive(environment)) await stopTask(environment);
    }
    const starts: Promise<void>[] = [];
    for (const [stackId, stack] of up) {
      if (stopped || live.has(stackId)) continue;
      const facts = await describe(stackId);
      if (facts) starts.push(ensureTask(stackId, stack.StackName ?? '', facts));
    }
    const failed = (await Promise.allSettled(starts)).filter((r) => r.status === 'rejected');
    await publish();
    if (failed[0]) throw failed[0].reason;
  }

  /** One environment: its task runs exactly when its stack is up. */
  async function reconcileEnvironment(environmentId: string): Promise<void> {
    const stack = await stackOf(environmentId);
    const stackId = stack?.StackId;
    const isUp = stackId !== undefined && UP_STATUSES.has(stack?.StackStatus ?? '');
    for (const environment of [...live.values()]) {
      if (environment.environmentId !== environmentId) continue;
      if (!isUp || environment.stackId !== stackId || !taskAlive(environment)) await stopTask(environment);
    }
    if (isUp && stackId && !stopped && !live.has(stackId)) {
      if (!described.has(stackId)) described.set(stackId, factsOf(stack));
      const facts = described.get(stackId);
      if (facts) await ensureTask(stackId, stack?.StackName ?? '', facts);
    }
    await publish(environmentId);
  }

  /** Full passes are serialized: concurrent callers share the pass in progress, then one more runs if asked. */
  let again = false;
  function reconcile(environmentId?: string): Promise<void> {
    if (environmentId !== undefined) return reconcileEnvironment(environmentId);
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await reconcileOnce();
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    if (!stopped) reconcile().catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    reconcile,
    live: () => [...live.values()],
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      await Promise.allSettled([...starting.values()]);
      for (const environment of [...live.values()]) {
        live.delete(environment.stackId);
        options.loadBalancer.unregister(environment.publicUri);
        await environment.port.close();
        await Promise.all([environment.probe.stop(), environment.service?.stop()]);
      }
      await (await image)?.dispose();
    },
  };
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
