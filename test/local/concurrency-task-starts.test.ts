import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type FargateTaskStandIn, startFargateTaskStandIn } from '../../local/fargate-task-stand-in.js';
import type { LoadBalancerStandIn } from '../../local/load-balancer-stand-in.js';
import type { ProbeProcess } from '../../local/probe-process.js';

/**
 * Many environments at once (50 requested together): the task stand-in starts their tasks concurrently within a
 * bound, and the reconcile a workflow task runs for its environment settles that environment only, never waiting
 * for the other environments' tasks. Stacks come from a mocked CloudFormation; a task start takes START_MS.
 */
const START_MS = 150;

const stackOf = (environmentId: string): Stack => ({
  StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-${environmentId}/id-${environmentId}`,
  StackName: `dsenv-${environmentId}`,
  StackStatus: 'CREATE_COMPLETE',
  CreationTime: new Date(),
  Parameters: [{ ParameterKey: 'EnvironmentId', ParameterValue: environmentId }],
  Outputs: [{ OutputKey: 'PublicURI', OutputValue: `${environmentId}-alb.us-east-1.elb.amazonaws.com` }],
});

/** What the registry holds as each environment's `outputs.localUrls`, as the stand-in writes it. */
interface UrlRegistry {
  readonly urls: Map<string, readonly string[] | undefined>;
  /** How long a write of URLs takes between reading the record and writing it (a removal is immediate). */
  writeMs: number;
}

function fixture(environmentIds: readonly string[], maxConcurrentStarts: number) {
  const cloudFormation = new CloudFormationClient({ region: 'us-east-1' });
  const cfn = mockClient(cloudFormation);
  const stacks = environmentIds.map(stackOf);
  cfn.on(ListStacksCommand).resolves({ StackSummaries: stacks.map((s) => ({ ...s })) as never });
  for (const stack of stacks) {
    cfn.on(DescribeStacksCommand, { StackName: stack.StackName }).resolves({ Stacks: [stack] });
    cfn.on(DescribeStacksCommand, { StackName: stack.StackId }).resolves({ Stacks: [stack] });
  }
  const routes = new Map<string, unknown>();
  const loadBalancer: LoadBalancerStandIn = {
    port: 0,
    register: (hostname, target) => routes.set(hostname, target),
    unregister: (hostname) => routes.delete(hostname),
    hostnames: () => [...routes.keys()],
    close: async () => undefined,
  };
  const starts = { count: 0, running: 0, maxRunning: 0 };
  const startProbe = async (): Promise<ProbeProcess> => {
    starts.count += 1;
    starts.running += 1;
    starts.maxRunning = Math.max(starts.maxRunning, starts.running);
    await new Promise((r) => setTimeout(r, START_MS));
    starts.running -= 1;
    let alive = true;
    return {
      port: 1,
      pid: 1000 + starts.count,
      alive: () => alive,
      stop: async () => {
        alive = false;
      },
    };
  };
  const published: string[] = [];
  const registry: UrlRegistry = { urls: new Map(), writeMs: 0 };
  const standIn = startFargateTaskStandIn({
    cloudFormation,
    loadBalancer,
    probeAwsEndpoint: 'http://[::1]:1',
    publishLocalUrls: async (id, urls) => {
      if (urls) published.push(id);
      if (urls && registry.writeMs > 0) await new Promise((r) => setTimeout(r, registry.writeMs));
      registry.urls.set(id, urls);
    },
    intervalMs: 600_000,
    maxConcurrentStarts,
    startProbe,
  });
  /** The (one) environment's stack is deleted: listed DELETE_COMPLETE, gone by name. */
  const deleteStack = () => {
    const [stack] = stacks as [Stack];
    cfn.on(ListStacksCommand).resolves({ StackSummaries: [{ ...stack, StackStatus: 'DELETE_COMPLETE' }] as never });
    cfn.on(DescribeStacksCommand, { StackName: stack.StackName }).rejects(new Error('Stack does not exist'));
  };
  return { standIn, starts, published, registry, routes, deleteStack };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `env-burst${String(i).padStart(7, '0')}`);
const liveIds = (standIn: FargateTaskStandIn) => standIn.live().map((e) => e.environmentId);

describe('Fargate task stand-in with many environments at once', () => {
  let standIn: FargateTaskStandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it("a workflow task's reconcile starts and publishes its own environment's task only, in about one start", async () => {
    const environments = ids(8);
    const target = environments[5] as string;
    const f = fixture(environments, 2);
    standIn = f.standIn;

    const started = performance.now();
    await f.standIn.reconcile(target);
    const elapsed = performance.now() - started;

    expect(liveIds(f.standIn)).toEqual([target]);
    expect(f.starts.count).toBe(1);
    expect(f.published).toEqual([target]);
    expect(f.routes.has(`${target}-alb.us-east-1.elb.amazonaws.com`)).toBe(true);
    // Serialized behind the seven others this would take 8 starts.
    expect(elapsed).toBeLessThan(START_MS * 4);
  });

  it('a full pass starts every complete stack concurrently, never more than the bound at a time', async () => {
    const environments = ids(9);
    const f = fixture(environments, 3);
    standIn = f.standIn;

    const started = performance.now();
    await f.standIn.reconcile();
    const elapsed = performance.now() - started;

    expect(liveIds(f.standIn).sort()).toEqual([...environments].sort());
    expect(f.starts.count).toBe(9);
    expect(f.starts.maxRunning).toBe(3);
    // Three waves of three, not nine starts one after another.
    expect(elapsed).toBeLessThan(START_MS * 6);
  });

  it('a workflow reconcile during a pass waits for the start under way instead of starting a second task', async () => {
    const environments = ids(4);
    const target = environments[0] as string;
    const f = fixture(environments, 4);
    standIn = f.standIn;

    const pass = f.standIn.reconcile();
    await new Promise((r) => setTimeout(r, START_MS / 3));
    await f.standIn.reconcile(target);

    expect(liveIds(f.standIn)).toContain(target);
    await pass;
    expect(f.starts.count).toBe(4);
    expect(new Set(liveIds(f.standIn)).size).toBe(4);
  });

  it("removes a stopped task's URLs even while a pass was writing them (they are not put back after the removal)", async () => {
    // Prepare: the task runs and its URLs are published; a pass then writes them again, slowly
    const [target] = ids(1) as [string];
    const f = fixture([target], 1);
    standIn = f.standIn;
    await f.standIn.reconcile(target);
    expect(f.registry.urls.get(target)).toHaveLength(2);
    f.registry.writeMs = START_MS;
    const pass = f.standIn.reconcile();
    await new Promise((r) => setTimeout(r, START_MS / 3));

    // Act: the teardown deleted the stack; its reconcile stops the task while the pass's write is under way
    f.deleteStack();
    await f.standIn.reconcile(target);
    await pass;

    // Assess
    expect(liveIds(f.standIn)).toEqual([]);
    expect(f.registry.urls.get(target)).toBeUndefined();
  });

  it("stops a task whose stack was deleted while a pass was starting it, once the workflow's reconcile runs", async () => {
    const [target] = ids(1) as [string];
    const f = fixture([target], 1);
    standIn = f.standIn;
    const pass = f.standIn.reconcile();
    await new Promise((r) => setTimeout(r, START_MS / 3));

    // The teardown deletes the stack while the start is under way, then its own reconcile runs (FinishTeardown).
    f.deleteStack();
    await f.standIn.reconcile(target);

    await pass;

    expect(f.starts.count).toBe(1);
    expect(liveIds(f.standIn)).toEqual([]);
    expect(f.routes.size).toBe(0);
  });
});
