import { CloudFormationClient, ListStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { environmentIdOfStackName, TAG_ENVIRONMENT_ID } from '../../functions/domain/naming.js';
import { isEnvironmentItem } from '../../functions/domain/registry.js';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';

/**
 * The promises every fault scenario must keep, checked against what is really there (the registry table, the
 * emulator's stacks, the tagging API), not against what the API says:
 * 1. every environment is in a true final state: DELETED with a clean teardown receipt, or FAILED with a reason;
 * 2. no environment stack exists without a record (nor for a DELETED one);
 * 3. no expired environment is alive (final, and its task not running);
 * 4. nothing tagged with a DELETED environment remains, not even a schedule (its expiry or a warning).
 */
export interface InvariantOptions {
  /** Environments whose task (probe) runs now (`LocalControlPlane.liveEnvironments()`). */
  readonly liveEnvironmentIds?: readonly string[];
}

const LIVE_STACK_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
];
/** Expiry (`dsenv-<id>-expiry`) and warning (`dsenv-<id>-warn-<lead>m`) schedules. */
const ENVIRONMENT_SCHEDULE = /^dsenv-(env-[a-z0-9]{12})-/;

export interface StoredEnvironment {
  id: string;
  status: string;
  expiresAt: string;
  failureReason?: string;
  teardown?: { remaining: string[]; deletedAt?: string };
}

export async function registryRecords(emulatorUrl: string): Promise<StoredEnvironment[]> {
  const dynamo = new DynamoDBClient(emulatorClientConfig(emulatorUrl));
  try {
    const tables = (await dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
    const table = tables.find((name) => name.includes('RegistryEnvironments'));
    if (table === undefined) throw new Error(`no registry table among ${tables.join(', ')}`);
    const records: StoredEnvironment[] = [];
    const documents = DynamoDBDocumentClient.from(dynamo);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      records.push(...((page.Items ?? []).filter(isEnvironmentItem) as StoredEnvironment[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return records;
  } finally {
    dynamo.destroy();
  }
}

/** Every violated invariant, one line each (empty when all hold). */
export async function invariantViolations(emulatorUrl: string, options: InvariantOptions = {}): Promise<string[]> {
  const config = emulatorClientConfig(emulatorUrl);
  const cfn = new CloudFormationClient(config);
  const tagging = new ResourceGroupsTaggingAPIClient(config);
  const scheduler = new SchedulerClient(config);
  const violations: string[] = [];
  try {
    const records = await registryRecords(emulatorUrl);
    const byId = new Map(records.map((r) => [r.id, r]));
    const now = Date.now();
    const live = new Set(options.liveEnvironmentIds ?? []);

    for (const r of records) {
      if (r.status === 'DELETED') {
        if (r.failureReason) violations.push(`${r.id} is DELETED but failed: ${r.failureReason}`);
        if (r.teardown?.deletedAt === undefined || (r.teardown.remaining ?? []).length > 0) {
          violations.push(`${r.id} is DELETED without a clean teardown receipt: ${JSON.stringify(r.teardown)}`);
        }
      } else if (r.status === 'FAILED') {
        if (!r.failureReason) violations.push(`${r.id} is FAILED without a reason`);
      } else {
        violations.push(`${r.id} is ${r.status}, not in a final state`);
      }
      if (Date.parse(r.expiresAt) < now && !['DELETED', 'FAILED'].includes(r.status)) {
        violations.push(`${r.id} expired at ${r.expiresAt} but is ${r.status}`);
      }
      if (live.has(r.id) && ['DELETED', 'FAILED'].includes(r.status)) {
        violations.push(`${r.id} is ${r.status} but its task still runs`);
      }
    }

    let nextToken: string | undefined;
    do {
      const page = await cfn.send(
        new ListStacksCommand({ StackStatusFilter: LIVE_STACK_STATUSES, NextToken: nextToken }),
      );
      for (const stack of page.StackSummaries ?? []) {
        const id = environmentIdOfStackName(stack.StackName ?? '');
        if (id === undefined || stack.ParentId !== undefined) continue;
        const record = byId.get(id);
        if (record === undefined) violations.push(`stack ${stack.StackName} (${stack.StackStatus}) has no record`);
        else if (record.status === 'DELETED') {
          violations.push(`stack ${stack.StackName} (${stack.StackStatus}) exists for DELETED ${id}`);
        }
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);

    for (const r of records.filter((x) => x.status === 'DELETED')) {
      const { ResourceTagMappingList } = await tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: TAG_ENVIRONMENT_ID, Values: [r.id] }] }),
      );
      const arns = (ResourceTagMappingList ?? []).map((m) => m.ResourceARN);
      if (arns.length > 0) violations.push(`DELETED ${r.id} still has tagged resources: ${arns.join(', ')}`);
    }

    let scheduleToken: string | undefined;
    do {
      const page = await scheduler.send(new ListSchedulesCommand({ NextToken: scheduleToken }));
      for (const schedule of page.Schedules ?? []) {
        const id = ENVIRONMENT_SCHEDULE.exec(schedule.Name ?? '')?.[1];
        if (id !== undefined && byId.get(id)?.status === 'DELETED') {
          violations.push(`schedule ${schedule.Name} remains for DELETED ${id}`);
        }
      }
      scheduleToken = page.NextToken;
    } while (scheduleToken !== undefined);
  } finally {
    cfn.destroy();
    tagging.destroy();
    scheduler.destroy();
  }
  return violations;
}

export async function assertInvariants(emulatorUrl: string, options: InvariantOptions = {}): Promise<void> {
  expect(await invariantViolations(emulatorUrl, options)).toEqual([]);
}
