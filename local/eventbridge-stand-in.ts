import { randomUUID } from 'node:crypto';
import {
  type CloudFormationClient,
  DescribeStackEventsCommand,
  ListStacksCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { HANDLER_ENTRY_METADATA } from '../control-plane/constructs/house-function.js';
import type { ControlPlaneTemplate } from './control-plane-template.js';
import { type EventPattern, matchesPattern } from './event-pattern.js';
import { resolveIntrinsics } from './state-machine-definition.js';

/**
 * Stand-in for EventBridge's CloudFormation events (moto publishes none): watches the emulator's stacks and, for
 * each new stack-level status event (DescribeStackEvents: the stack's own `AWS::CloudFormation::Stack` entries),
 * builds the "CloudFormation Stack Status Change" event AWS would emit and delivers it to the target of every
 * rule of the synthesized template whose pattern matches it, asynchronously and at least once (a failed delivery
 * is retried, as EventBridge retries a Lambda target). Fault switches lose or duplicate events, for tests.
 */
export interface EventRule {
  readonly logicalId: string;
  readonly pattern: EventPattern;
  /** Handler entry of the rule's target function (its `dsenv:handler-entry` metadata). */
  readonly targetEntry: string;
}

export interface StackStatusChange {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CloudFormation Stack Status Change';
  readonly source: 'aws.cloudformation';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly 'stack-id': string;
    readonly 'status-details': { readonly status: string; readonly 'status-reason': string };
    readonly 'client-request-token': string;
  };
}

export interface Delivery {
  readonly event: StackStatusChange;
  readonly result?: unknown;
  /** When the target was invoked and when it answered (ms since the epoch). */
  readonly startedAt: number;
  readonly endedAt?: number;
}

export interface EventBridgeStandInOptions {
  readonly cloudFormation: CloudFormationClient;
  readonly rules: readonly EventRule[];
  /** Runs a rule's target with an event (the target's handler, as Lambda would). */
  readonly deliver: (entry: string, event: StackStatusChange) => Promise<unknown>;
  /** How often every stack is looked at (besides `observe`). @default 1000 */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface EventBridgeStandIn {
  /** Looks at one stack now (by name or id), or at every stack. */
  observe(stackNameOrId?: string): Promise<void>;
  /** Publishes an event as if CloudFormation had emitted it, through the same rules (the fault switches aside). */
  publish(event: StackStatusChange): void;
  /** The events delivered to a target so far, oldest first (a duplicate counts twice). */
  delivered(): readonly StackStatusChange[];
  /** Each delivery and what its target answered (`undefined` while under way or when it failed). */
  deliveries(): readonly Delivery[];
  /**
   * Of the next events of the stack (`*`: of any stack) that a rule matches, after `skip` delivered as usual,
   * `lose` are never delivered and then `duplicate` are delivered twice.
   */
  setFault(stackName: string, fault: { skip?: number; lose?: number; duplicate?: number }): void;
  /** Resolves when no delivery is under way. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The rules of the template whose target is a house function, their patterns resolved. */
export function eventRulesFromTemplate(template: ControlPlaneTemplate): EventRule[] {
  const entries = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const entry = resource.Metadata?.[HANDLER_ENTRY_METADATA];
    if (resource.Type === 'AWS::Lambda::Function' && typeof entry === 'string') entries.set(logicalId, entry);
  }
  return Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    if (resource.Type !== 'AWS::Events::Rule' || !resource.Properties?.EventPattern) return [];
    const targets = (resource.Properties.Targets ?? []) as { Arn?: { 'Fn::GetAtt'?: [string, string] } }[];
    return targets.flatMap((target) => {
      const entry = entries.get(target.Arn?.['Fn::GetAtt']?.[0] ?? '');
      if (entry === undefined) return [];
      const pattern = resolveIntrinsics(resource.Properties?.EventPattern, template) as EventPattern;
      return [{ logicalId, pattern, targetEntry: entry }];
    });
  });
}

/** The event AWS emits for a stack-level status event. */
export function stackStatusChange(event: StackEvent): StackStatusChange {
  const stackId = event.StackId ?? '';
  const [, , , region = 'us-east-1', account = '123456789012'] = stackId.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudFormation Stack Status Change',
    source: 'aws.cloudformation',
    account,
    time: (event.Timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [stackId],
    detail: {
      'stack-id': stackId,
      'status-details': { status: event.ResourceStatus ?? '', 'status-reason': event.ResourceStatusReason ?? '' },
      'client-request-token': event.ClientRequestToken ?? '',
    },
  };
}

const DELIVERY_ATTEMPTS = 3;

export function startEventBridgeStandIn(options: EventBridgeStandInOptions): EventBridgeStandIn {
  const { cloudFormation, rules } = options;
  const seenEvents = new Set<string>();
  const lastStatus = new Map<string, string>();
  const idsByName = new Map<string, string>();
  const faults = new Map<string, { skip: number; lose: number; duplicate: number }>();
  const delivered: { event: StackStatusChange; result?: unknown; startedAt: number; endedAt?: number }[] = [];
  const inFlight = new Set<Promise<void>>();
  let primed = false;
  let stopped = false;

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const deliverOnce = async (entry: string, event: StackStatusChange) => {
    for (let attempt = 1; ; attempt++) {
      const delivery: (typeof delivered)[number] = { event, startedAt: Date.now() };
      delivered.push(delivery);
      try {
        delivery.result = await options.deliver(entry, event);
        delivery.endedAt = Date.now();
        return;
      } catch (error) {
        if (attempt >= DELIVERY_ATTEMPTS || stopped) return options.onError?.(error);
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  };

  /** How many copies of a matched event the fault switches let through. */
  const copiesOf = (event: StackStatusChange) => {
    const stackName = event.detail['stack-id'].split(':stack/')[1]?.split('/')[0] ?? '';
    const fault = faults.get(stackName) ?? faults.get('*');
    if (fault === undefined) return 1;
    if (fault.skip > 0) {
      fault.skip -= 1;
      return 1;
    }
    if (fault.lose > 0) {
      fault.lose -= 1;
      return 0;
    }
    if (fault.duplicate > 0) {
      fault.duplicate -= 1;
      return 2;
    }
    return 1;
  };

  /** Delivers an event to the target of every rule that matches it, `copies` times. */
  const route = (event: StackStatusChange, copies: (event: StackStatusChange) => number) => {
    const targets = rules.filter((rule) => matchesPattern(rule.pattern, event));
    if (targets.length === 0) return;
    const count = copies(event);
    for (const rule of targets) for (let i = 0; i < count; i++) track(deliverOnce(rule.targetEntry, event));
  };

  /** New stack-level events of one stack, oldest first; before the first sweep they only mark what was there. */
  const observeStack = async (stackId: string) => {
    const { StackEvents } = await cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackId }));
    const own = (StackEvents ?? [])
      .filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack' && e.PhysicalResourceId === e.StackId)
      .reverse();
    for (const event of own) {
      if (event.EventId === undefined || seenEvents.has(event.EventId)) continue;
      seenEvents.add(event.EventId);
      if (primed && !stopped) route(stackStatusChange(event), copiesOf);
    }
  };

  const sweep = async () => {
    let nextToken: string | undefined;
    do {
      const page = await cloudFormation.send(new ListStacksCommand({ NextToken: nextToken }));
      for (const summary of page.StackSummaries ?? []) {
        if (!summary.StackId || !summary.StackStatus) continue;
        if (summary.StackName) idsByName.set(summary.StackName, summary.StackId);
        if (lastStatus.get(summary.StackId) === summary.StackStatus) continue;
        await observeStack(summary.StackId);
        lastStatus.set(summary.StackId, summary.StackStatus);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  };

  let sweeping: Promise<void> | undefined;
  const sweepOnce = () => {
    sweeping ??= sweep().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };
  // What the emulator holds already happened before this stand-in: it is not news.
  const priming = sweepOnce()
    .catch((error: unknown) => options.onError?.(error))
    .finally(() => {
      primed = true;
    });
  const timer = setInterval(() => {
    if (primed) sweepOnce().catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    observe: async (stackNameOrId) => {
      await priming;
      if (stopped) return;
      if (stackNameOrId === undefined) return sweepOnce();
      // A live stack answers to its name; a deleted one only to its id (known once seen).
      await observeStack(idsByName.get(stackNameOrId) ?? stackNameOrId).catch(() => sweepOnce());
    },
    publish: (event) => route(event, () => 1),
    delivered: () => delivered.map((d) => d.event),
    deliveries: () => [...delivered],
    setFault: (stackName, fault) =>
      faults.set(stackName, { skip: fault.skip ?? 0, lose: fault.lose ?? 0, duplicate: fault.duplicate ?? 0 }),
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await priming;
      await sweeping?.catch(() => undefined);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
