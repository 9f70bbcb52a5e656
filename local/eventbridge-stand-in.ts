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

/** Of the next matched events of a stack: how many to deliver as usual, then to lose, then to deliver twice. */
interface Fault {
  skip: number;
  lose: number;
  duplicate: number;
}

type MutableDelivery = { -readonly [K in keyof Delivery]: Delivery[K] };

/** What the stand-in's steps share: the stacks and events seen, the fault switches and the deliveries. */
interface EventBusState {
  readonly options: EventBridgeStandInOptions;
  readonly seenEvents: Set<string>;
  readonly lastStatus: Map<string, string>;
  readonly idsByName: Map<string, string>;
  readonly faults: Map<string, Fault>;
  readonly delivered: MutableDelivery[];
  readonly inFlight: Set<Promise<void>>;
  primed: boolean;
  stopped: boolean;
  sweeping: Promise<void> | undefined;
}

export function startEventBridgeStandIn(options: EventBridgeStandInOptions): EventBridgeStandIn {
  const bus: EventBusState = {
    options,
    seenEvents: new Set(),
    lastStatus: new Map(),
    idsByName: new Map(),
    faults: new Map(),
    delivered: [],
    inFlight: new Set(),
    primed: false,
    stopped: false,
    sweeping: undefined,
  };
  // What the emulator holds already happened before this stand-in: it is not news.
  const priming = sweepOnce(bus)
    .catch((error: unknown) => options.onError?.(error))
    .finally(() => {
      bus.primed = true;
    });
  const timer = setInterval(() => {
    if (bus.primed) sweepOnce(bus).catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 1000);
  timer.unref();
  const idle = async () => {
    while (bus.inFlight.size > 0) await Promise.all([...bus.inFlight]);
  };

  return {
    observe: async (stackNameOrId) => {
      await priming;
      if (bus.stopped) return;
      if (stackNameOrId === undefined) return sweepOnce(bus);
      // A live stack answers to its name; a deleted one only to its id (known once seen).
      await observeStack(bus, bus.idsByName.get(stackNameOrId) ?? stackNameOrId).catch(() => sweepOnce(bus));
    },
    publish: (event) => route(bus, event, () => 1),
    delivered: () => bus.delivered.map((d) => d.event),
    deliveries: () => [...bus.delivered],
    setFault: (stackName, fault) =>
      bus.faults.set(stackName, { skip: fault.skip ?? 0, lose: fault.lose ?? 0, duplicate: fault.duplicate ?? 0 }),
    idle,
    stop: async () => {
      bus.stopped = true;
      clearInterval(timer);
      await priming;
      await bus.sweeping?.catch(() => undefined);
      await idle();
    },
  };
}

/** One sweep at a time: a caller during a sweep shares it. */
function sweepOnce(bus: EventBusState): Promise<void> {
  bus.sweeping ??= sweepStacks(bus).finally(() => {
    bus.sweeping = undefined;
  });
  return bus.sweeping;
}

/** Looks at every stack whose status changed since the last sweep. */
async function sweepStacks(bus: EventBusState): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await bus.options.cloudFormation.send(new ListStacksCommand({ NextToken: nextToken }));
    for (const summary of page.StackSummaries ?? []) {
      if (!summary.StackId || !summary.StackStatus) continue;
      if (summary.StackName) bus.idsByName.set(summary.StackName, summary.StackId);
      if (bus.lastStatus.get(summary.StackId) === summary.StackStatus) continue;
      await observeStack(bus, summary.StackId);
      bus.lastStatus.set(summary.StackId, summary.StackStatus);
    }
    nextToken = page.NextToken;
  } while (nextToken);
}

/** New stack-level events of one stack, oldest first; before the first sweep they only mark what was there. */
async function observeStack(bus: EventBusState, stackId: string): Promise<void> {
  const { StackEvents } = await bus.options.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackId }));
  const own = (StackEvents ?? [])
    .filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack' && e.PhysicalResourceId === e.StackId)
    .reverse();
  for (const event of own) {
    if (event.EventId === undefined || bus.seenEvents.has(event.EventId)) continue;
    bus.seenEvents.add(event.EventId);
    if (bus.primed && !bus.stopped) route(bus, stackStatusChange(event), (matched) => copiesOf(bus.faults, matched));
  }
}

/** Delivers an event to the target of every rule that matches it, `copies` times. */
function route(bus: EventBusState, event: StackStatusChange, copies: (event: StackStatusChange) => number): void {
  const targets = bus.options.rules.filter((rule) => matchesPattern(rule.pattern, event));
  if (targets.length === 0) return;
  const count = copies(event);
  for (const rule of targets) for (let i = 0; i < count; i++) track(bus, deliverOnce(bus, rule.targetEntry, event));
}

function track(bus: EventBusState, work: Promise<void>): void {
  bus.inFlight.add(work);
  void work.finally(() => bus.inFlight.delete(work));
}

/** Invokes the target, retried as EventBridge retries a Lambda target; each attempt is a delivery. */
async function deliverOnce(bus: EventBusState, entry: string, event: StackStatusChange): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const delivery: MutableDelivery = { event, startedAt: Date.now() };
    bus.delivered.push(delivery);
    try {
      delivery.result = await bus.options.deliver(entry, event);
      delivery.endedAt = Date.now();
      return;
    } catch (error) {
      if (attempt >= DELIVERY_ATTEMPTS || bus.stopped) return bus.options.onError?.(error);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** How many copies of a matched event the fault switches let through. */
function copiesOf(faults: Map<string, Fault>, event: StackStatusChange): number {
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
}
