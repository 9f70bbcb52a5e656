import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ACTIVE_STATUSES, Environment, type EnvironmentStatus } from '../schemas/environment.js';
import { TimelineEvent } from '../schemas/timeline.js';
import { retryableFailure } from '../shared/aws-errors.js';
import { BadRequestError, ConflictError, ThrottledError, TransientError } from '../shared/errors.js';
import type { Clock } from './ports.js';
import type { TimelineEntry } from './timeline.js';

export interface RegistryDeps {
  documentClient: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  clock: Clock;
}

export type EnvironmentChanges = Partial<Omit<Environment, 'id' | 'version' | 'createdAt'>>;

export interface Page {
  limit?: number;
  nextToken?: string;
}

export const BY_OWNER_INDEX = 'byOwner';
export const BY_STATUS_INDEX = 'byStatus';
/** Timeline entries: key `environmentId`, sort key `eventKey` (the record's version, then order within it). */
export const TIMELINE_INDEX = 'timeline';
const DEFAULT_PAGE_SIZE = 25;
const DEFAULT_EVENTS_PAGE_SIZE = 50;

/** Whether a registry item is an environment's record (timeline entries share the table, keyed `<id>#<eventKey>`). */
export function isEnvironmentItem(item: Record<string, unknown>): boolean {
  return typeof item.id === 'string' && !item.id.includes('#');
}

/** Turns SDK failures into the control plane's retryable errors; conditional-check failures are handled by callers. */
export function translateAwsError(error: unknown, operation: string): never {
  const failure = retryableFailure(error);
  if (failure === 'throttled') throw new ThrottledError(`${operation} was throttled`, { cause: error });
  if (failure === 'unavailable') {
    throw new TransientError(`${operation} failed: ${(error as { name?: string }).name}`, { cause: error });
  }
  throw error;
}

function isConditionalCheckFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

interface OwnerIndexKey {
  id: string;
  owner: string;
  createdAt: string;
}

function encodeToken(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeToken(token: string, owner: string): OwnerIndexKey {
  const invalid = () => new BadRequestError('nextToken is not a token returned by this API');
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const { id, owner: tokenOwner, createdAt, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid();
  if (typeof id !== 'string' || typeof tokenOwner !== 'string' || typeof createdAt !== 'string') throw invalid();
  if (tokenOwner !== owner) throw invalid();
  return { id, owner: tokenOwner, createdAt };
}

function decodeTimelineToken(token: string, environmentId: string): Record<string, string> {
  const invalid = () => new BadRequestError('nextToken is not a token returned by this API');
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const key = parsed as Record<string, unknown> | null;
  if (typeof key !== 'object' || key === null || Object.keys(key).length !== 3) throw invalid();
  const { id, environmentId: tokenEnvironment, eventKey } = key;
  if (typeof id !== 'string' || typeof eventKey !== 'string' || tokenEnvironment !== environmentId) throw invalid();
  return { id, environmentId, eventKey };
}

/** One page of a query's items, each parsed, with the opaque token of the next page when there is one. */
function pageOf<T>(
  output: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> },
  parse: (item: Record<string, unknown>) => T,
): { items: T[]; nextToken?: string } {
  const items = (output.Items ?? []).map(parse);
  return output.LastEvaluatedKey === undefined ? { items } : { items, nextToken: encodeToken(output.LastEvaluatedKey) };
}

/**
 * The registry of environments (one DynamoDB item per environment). Every write is conditional: a put only
 * creates, an update only applies to the version and statuses the caller saw, so two writers never silently
 * overwrite each other (the loser gets a ConflictError).
 */
export class Registry {
  readonly #client: Pick<DynamoDBDocumentClient, 'send'>;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(deps: RegistryDeps) {
    this.#client = deps.documentClient;
    this.#table = deps.tableName;
    this.#clock = deps.clock;
  }

  /**
   * Writes entries of an environment's timeline. Their keys are deterministic (functions/domain/timeline.ts), so
   * writing an entry again (a change stream's redelivery) leaves one copy. The record's writers do not call this:
   * the registry's change stream does, after each write is stored (functions/workflow/lifecycle-publisher.ts).
   */
  async putTimeline(environmentId: string, entries: readonly TimelineEntry[]): Promise<void> {
    await Promise.all(
      entries.map(async ({ eventKey, event }) => {
        const item = { ...event, id: `${environmentId}#${eventKey}`, environmentId, eventKey };
        try {
          await this.#client.send(new PutCommand({ TableName: this.#table, Item: item }));
        } catch (error) {
          translateAwsError(error, 'registry timeline put');
        }
      }),
    );
  }

  /** An environment's timeline, oldest first. `nextToken` is opaque; a token not made here → BadRequestError. */
  async listEvents(environmentId: string, page: Page = {}): Promise<{ items: TimelineEvent[]; nextToken?: string }> {
    const output = await this.#query({
      TableName: this.#table,
      IndexName: TIMELINE_INDEX,
      KeyConditionExpression: '#environmentId = :environmentId',
      ExpressionAttributeNames: { '#environmentId': 'environmentId' },
      ExpressionAttributeValues: { ':environmentId': environmentId },
      ScanIndexForward: true,
      Limit: page.limit ?? DEFAULT_EVENTS_PAGE_SIZE,
      ExclusiveStartKey: page.nextToken === undefined ? undefined : decodeTimelineToken(page.nextToken, environmentId),
    });
    return pageOf(output, (item) => {
      const { id: _id, environmentId: _environmentId, eventKey: _eventKey, ...event } = item;
      return TimelineEvent.parse(event);
    });
  }

  async put(env: Environment): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: env, ConditionExpression: 'attribute_not_exists(id)' }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ConflictError(`environment ${env.id} already exists`);
      translateAwsError(error, 'registry put');
    }
  }

  async get(id: string): Promise<Environment | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true }),
      );
      return Item === undefined ? undefined : Environment.parse(Item);
    } catch (error) {
      return translateAwsError(error, 'registry get');
    }
  }

  /** The owner's environments, newest first. `nextToken` is opaque; a token not made by this method → BadRequestError. */
  async listByOwner(owner: string, page: Page = {}): Promise<{ items: Environment[]; nextToken?: string }> {
    const exclusiveStartKey = page.nextToken === undefined ? undefined : decodeToken(page.nextToken, owner);
    const output = await this.#query({
      TableName: this.#table,
      IndexName: BY_OWNER_INDEX,
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': owner },
      ScanIndexForward: false,
      Limit: page.limit ?? DEFAULT_PAGE_SIZE,
      ExclusiveStartKey: exclusiveStartKey,
    });
    return pageOf(output, (item) => Environment.parse(item));
  }

  /** Every environment in `status` (all pages), optionally only those expiring strictly before `expiresBefore`. */
  async listByStatus(status: EnvironmentStatus, filter: { expiresBefore?: string } = {}): Promise<Environment[]> {
    const byExpiry = filter.expiresBefore !== undefined;
    const items: Environment[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const output = await this.#query({
        TableName: this.#table,
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: byExpiry ? '#status = :status AND #expiresAt < :before' : '#status = :status',
        ExpressionAttributeNames: { '#status': 'status', ...(byExpiry ? { '#expiresAt': 'expiresAt' } : {}) },
        ExpressionAttributeValues: { ':status': status, ...(byExpiry ? { ':before': filter.expiresBefore } : {}) },
        ExclusiveStartKey: exclusiveStartKey,
      });
      items.push(...(output.Items ?? []).map((item) => Environment.parse(item)));
      exclusiveStartKey = output.LastEvaluatedKey;
    } while (exclusiveStartKey !== undefined);
    return items;
  }

  async countActiveByOwner(owner: string): Promise<number> {
    const names: Record<string, string> = { '#owner': 'owner', '#status': 'status' };
    const values: Record<string, unknown> = { ':owner': owner };
    ACTIVE_STATUSES.forEach((status, i) => {
      values[`:s${i}`] = status;
    });
    return this.#count({
      TableName: this.#table,
      IndexName: BY_OWNER_INDEX,
      KeyConditionExpression: '#owner = :owner',
      FilterExpression: `#status IN (${ACTIVE_STATUSES.map((_, i) => `:s${i}`).join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      Select: 'COUNT',
    });
  }

  async countActive(): Promise<number> {
    const counts = await Promise.all(
      ACTIVE_STATUSES.map((status) =>
        this.#count({
          TableName: this.#table,
          IndexName: BY_STATUS_INDEX,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
          Select: 'COUNT',
        }),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Conditional write: applies `changes` only if the stored version equals `current.version` and the stored status
   * is in `allowedFrom`; bumps version and updatedAt. A key present with value `undefined` removes the attribute.
   * Returns the new record; throws ConflictError when the condition fails.
   */
  async update(
    current: Environment,
    changes: EnvironmentChanges,
    allowedFrom: readonly EnvironmentStatus[],
  ): Promise<Environment> {
    if (allowedFrom.length === 0) throw new ConflictError(`no transition allowed for environment ${current.id}`);
    const names: Record<string, string> = { '#version': 'version', '#status': 'status', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = {
      ':expectedVersion': current.version,
      ':nextVersion': current.version + 1,
      ':updatedAt': this.#clock.now().toISOString(),
    };
    const sets = ['#version = :nextVersion', '#updatedAt = :updatedAt'];
    const removes: string[] = [];
    Object.entries(changes).forEach(([field, value], i) => {
      if (field === 'updatedAt') return;
      const name = `#f${i}`;
      names[name] = field;
      if (value === undefined) {
        removes.push(name);
      } else {
        values[`:f${i}`] = value;
        sets.push(`${name} = :f${i}`);
      }
    });
    allowedFrom.forEach((status, i) => {
      values[`:from${i}`] = status;
    });
    const condition = `#version = :expectedVersion AND #status IN (${allowedFrom.map((_, i) => `:from${i}`).join(', ')})`;
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { id: current.id },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Environment.parse(Attributes);
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        throw new ConflictError(
          `environment ${current.id} changed meanwhile or is no longer in ${allowedFrom.join('/')} (expected version ${current.version})`,
        );
      }
      return translateAwsError(error, 'registry update');
    }
  }

  /** Deletes the record only if it is still the version the caller wrote (used to undo a failed creation). */
  async remove(current: Environment): Promise<void> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { id: current.id },
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': current.version },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ConflictError(`environment ${current.id} changed meanwhile`);
      translateAwsError(error, 'registry remove');
    }
  }

  /** Deletes an environment's timeline (its record was removed: a creation undone). */
  async removeTimeline(environmentId: string): Promise<void> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#query({
        TableName: this.#table,
        IndexName: TIMELINE_INDEX,
        KeyConditionExpression: '#environmentId = :environmentId',
        ExpressionAttributeNames: { '#environmentId': 'environmentId', '#id': 'id' },
        ExpressionAttributeValues: { ':environmentId': environmentId },
        ProjectionExpression: '#id',
        ExclusiveStartKey: startKey,
      });
      await Promise.all(
        (page.Items ?? []).map(async (item) => {
          try {
            await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { id: item.id } }));
          } catch (error) {
            translateAwsError(error, 'registry timeline delete');
          }
        }),
      );
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async #query(input: QueryCommandInput) {
    try {
      return await this.#client.send(new QueryCommand(input));
    } catch (error) {
      return translateAwsError(error, 'registry query');
    }
  }

  async #count(input: QueryCommandInput): Promise<number> {
    let total = 0;
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const output = await this.#query({ ...input, ExclusiveStartKey: exclusiveStartKey });
      total += output.Count ?? 0;
      exclusiveStartKey = output.LastEvaluatedKey;
    } while (exclusiveStartKey !== undefined);
    return total;
  }
}
