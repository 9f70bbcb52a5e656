import { logger } from './powertools.js';

/** What ties a log line or a trace to one environment's lifecycle. */
export interface CorrelationKeys {
  readonly environmentId?: string;
  readonly owner?: string;
  /** The Step Functions execution the invocation works for. */
  readonly executionArn?: string;
}

const KEY_NAMES = ['environmentId', 'owner', 'executionArn'] as const;

/**
 * Adds the keys to every further log line of this invocation (Powertools temporary keys, cleared after it by the
 * handler stack), beside the line's `xray_trace_id`. Keys without a value are left out.
 */
export function correlate(keys: CorrelationKeys): void {
  const present: Record<string, string> = {};
  for (const name of KEY_NAMES) {
    const value = keys[name];
    if (typeof value === 'string' && value.length > 0) present[name] = value;
  }
  if (Object.keys(present).length === 0) return;
  logger.appendKeys(present);
}

/** The keys a workflow task's input names (`environmentId`, and `executionArn` from the state machine's context). */
export function taskCorrelation(event: unknown): CorrelationKeys {
  if (typeof event !== 'object' || event === null) return {};
  const { environmentId, executionArn } = event as Record<string, unknown>;
  return {
    environmentId: typeof environmentId === 'string' ? environmentId : undefined,
    executionArn: typeof executionArn === 'string' ? executionArn : undefined,
  };
}
