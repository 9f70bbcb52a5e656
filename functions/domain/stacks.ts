import {
  type CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';

export type CloudFormationPort = Pick<CloudFormationClient, 'send'>;

/** Longest failure reason kept on an environment. */
export const MAX_REASON_LENGTH = 500;
/** How many failed events make up a reason. */
const MAX_FAILED_EVENTS = 3;
/** Messages CloudFormation writes for resources that failed only because something else did. */
const CONSEQUENTIAL_REASONS = [
  /^Resource creation cancelled/i,
  /^Resource update cancelled/i,
  /^The following resource\(s\) failed to/i,
];

/** CloudFormation answers `ValidationError: Stack with id X does not exist` for an unknown or deleted stack name. */
export function isStackMissing(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return e?.name === 'ValidationError' && /does not exist/i.test(e.message ?? '');
}

/** The stack, or undefined when CloudFormation does not know it (never created, or deleted and asked by name). */
export async function describeStack(cfn: CloudFormationPort, stackNameOrId: string): Promise<Stack | undefined> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackNameOrId }));
    return Stacks?.[0];
  } catch (error) {
    if (isStackMissing(error)) return undefined;
    throw error;
  }
}

async function allEvents(cfn: CloudFormationPort, stackId: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  // Newest first; a failed create of four small templates fits in a few pages. Stop after ten.
  for (let page = 0; page < 10; page++) {
    const output = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }));
    events.push(...(output.StackEvents ?? []));
    nextToken = output.NextToken;
    if (nextToken === undefined) break;
  }
  return events;
}

export function truncate(text: string, max = MAX_REASON_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Why a stack operation failed: the earliest `*_FAILED` events of the stack and of its nested stacks (the root
 * causes, not the "cancelled" or "embedded stack failed" consequences), as one line of at most ~500 characters.
 */
export async function stackFailureReason(cfn: CloudFormationPort, stackId: string): Promise<string | undefined> {
  const parentEvents = await allEvents(cfn, stackId);
  const nestedIds = new Set(
    parentEvents
      .filter(
        (e) =>
          e.ResourceType === 'AWS::CloudFormation::Stack' && e.PhysicalResourceId && e.StackId !== e.PhysicalResourceId,
      )
      .map((e) => e.PhysicalResourceId as string),
  );
  const nestedEvents = await Promise.all([...nestedIds].map((id) => allEvents(cfn, id).catch(() => [])));
  const failed = [...parentEvents, ...nestedEvents.flat()]
    .filter((e) => e.ResourceStatus?.endsWith('_FAILED') && e.ResourceStatusReason)
    .sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
  const causes = failed.filter((e) => !CONSEQUENTIAL_REASONS.some((re) => re.test(e.ResourceStatusReason ?? '')));
  const chosen = (causes.length > 0 ? causes : failed).slice(0, MAX_FAILED_EVENTS);
  if (chosen.length === 0) return undefined;
  return truncate(
    chosen
      .map((e) => `${e.LogicalResourceId} (${e.ResourceType}) ${e.ResourceStatus}: ${e.ResourceStatusReason}`)
      .join('; '),
  );
}
