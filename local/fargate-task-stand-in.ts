import {
  type CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import type { LoadBalancerStandIn } from './load-balancer-stand-in.js';
import { openEnvironmentPort } from './load-balancer-stand-in.js';
import { type DualListener, loopbackUrl } from './loopback.js';
import { type ProbeProcess, startProbeProcess } from './probe-process.js';

/**
 * Stand-in for the environments' Fargate services (and the wiring of their ALBs): watches the emulator's
 * stacks; when an environment's stack is complete, starts its task (a probe process), routes the
 * stack's `PublicURI` to it on the shared load-balancer listener (which also makes the name resolve in
 * the local DNS) and opens its per-environment URLs; when the stack is deleted, undoes all of that.
 * On AWS, CREATE_COMPLETE of the service means its tasks are running, so `reconcile()` is also called
 * before each workflow task.
 */
export interface LiveEnvironment {
  readonly environmentId: string;
  readonly stackId: string;
  readonly stackName: string;
  /** The load balancer's DNS name (the stack's `PublicURI`). */
  readonly publicUri: string;
  readonly probe: ProbeProcess;
  readonly port: DualListener;
  /** `http://127.0.0.1:P` and `http://[::1]:P`. */
  readonly localUrls: readonly string[];
}

export interface FargateTaskStandInOptions {
  readonly cloudFormation: CloudFormationClient;
  readonly loadBalancer: LoadBalancerStandIn;
  /** `AWS_ENDPOINT_URL` for the probes (the `[::1]` forwarder to the emulator). */
  readonly probeAwsEndpoint: string;
  /** Writes (or, with `undefined`, removes) an environment's `outputs.localUrls`. */
  readonly publishLocalUrls: (environmentId: string, urls: readonly string[] | undefined) => Promise<void>;
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly log?: (message: string) => void;
  readonly onError?: (error: unknown) => void;
}

export interface FargateTaskStandIn {
  /** One pass: starts tasks for complete stacks, stops those of deleted stacks, republishes URLs. */
  reconcile(): Promise<void>;
  live(): readonly LiveEnvironment[];
  stop(): Promise<void>;
}

const STACK_PREFIX = 'dsenv-';
const UP_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);

interface StackFacts {
  readonly environmentId: string;
  readonly publicUri: string;
}

export function startFargateTaskStandIn(options: FargateTaskStandInOptions): FargateTaskStandIn {
  const log = options.log ?? (() => undefined);
  const live = new Map<string, LiveEnvironment>(); // by stack id
  /** Stacks already described: an environment's parent (facts) or not (null). Stack ids never change owner. */
  const described = new Map<string, StackFacts | null>();
  /** Environments whose URLs must still be removed from the registry (retried until it worked). */
  const toUnpublish = new Set<string>();
  const published = new Map<string, string>();
  let running: Promise<void> | undefined;
  let stopped = false;

  async function listStacks(): Promise<StackSummary[]> {
    const stacks: StackSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await options.cloudFormation.send(new ListStacksCommand({ NextToken: nextToken }));
      stacks.push(...(page.StackSummaries ?? []).filter((s) => s.StackName?.startsWith(STACK_PREFIX)));
      nextToken = page.NextToken;
    } while (nextToken);
    return stacks;
  }

  /** An environment's parent stack is `dsenv-<EnvironmentId>` and has a `PublicURI` output. */
  async function describe(stackId: string): Promise<StackFacts | null> {
    if (described.has(stackId)) return described.get(stackId) ?? null;
    const out = await options.cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
    const stack = out.Stacks?.[0];
    const environmentId = stack?.Parameters?.find((p) => p.ParameterKey === 'EnvironmentId')?.ParameterValue;
    const publicUri = stack?.Outputs?.find((o) => o.OutputKey === 'PublicURI')?.OutputValue;
    const facts =
      stack && environmentId && publicUri && stack.StackName === `${STACK_PREFIX}${environmentId}`
        ? { environmentId, publicUri }
        : null;
    described.set(stackId, facts);
    return facts;
  }

  async function startTask(stackId: string, stackName: string, facts: StackFacts): Promise<void> {
    const probe = await startProbeProcess({
      awsEndpoint: options.probeAwsEndpoint,
      onOutput: (line) => log(`[probe ${facts.environmentId}] ${line}`),
    });
    if (stopped) {
      await probe.stop();
      return;
    }
    const target = { host: '127.0.0.1', port: probe.port };
    const port = await openEnvironmentPort(target);
    options.loadBalancer.register(facts.publicUri, target);
    const localUrls = [loopbackUrl('127.0.0.1', port.port), loopbackUrl('::1', port.port)];
    live.set(stackId, { ...facts, stackId, stackName, probe, port, localUrls });
    toUnpublish.delete(facts.environmentId);
    log(`task of ${facts.environmentId} running (pid ${probe.pid}); ${localUrls.join(' ')}`);
  }

  async function stopTask(environment: LiveEnvironment): Promise<void> {
    live.delete(environment.stackId);
    options.loadBalancer.unregister(environment.publicUri);
    await environment.port.close();
    await environment.probe.stop();
    published.delete(environment.environmentId);
    toUnpublish.add(environment.environmentId);
    log(`task of ${environment.environmentId} stopped`);
  }

  async function publish(): Promise<void> {
    for (const environment of live.values()) {
      const key = environment.localUrls.join(' ');
      // Republished every pass: a handler that rewrites `outputs` must not make the URLs disappear.
      await options.publishLocalUrls(environment.environmentId, environment.localUrls);
      published.set(environment.environmentId, key);
    }
    for (const environmentId of [...toUnpublish]) {
      await options.publishLocalUrls(environmentId, undefined);
      toUnpublish.delete(environmentId);
    }
  }

  async function reconcileOnce(): Promise<void> {
    const stacks = await listStacks();
    const up = new Map<string, StackSummary>();
    for (const stack of stacks) {
      if (stack.StackId && UP_STATUSES.has(stack.StackStatus ?? '')) up.set(stack.StackId, stack);
    }
    for (const environment of [...live.values()]) {
      if (!up.has(environment.stackId) || !environment.probe.alive()) await stopTask(environment);
    }
    for (const [stackId, stack] of up) {
      if (stopped || live.has(stackId)) continue;
      const facts = await describe(stackId);
      if (facts) await startTask(stackId, stack.StackName ?? '', facts);
    }
    await publish();
  }

  /** Serialized: concurrent callers share the pass in progress, then one more pass runs if asked. */
  let again = false;
  function reconcile(): Promise<void> {
    if (running) {
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
      for (const environment of [...live.values()]) {
        live.delete(environment.stackId);
        options.loadBalancer.unregister(environment.publicUri);
        await environment.port.close();
        await environment.probe.stop();
      }
    },
  };
}
