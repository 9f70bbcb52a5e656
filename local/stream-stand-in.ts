import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { emulatorClientConfig, physicalName } from './control-plane-resources.js';
import { type ControlPlaneTemplate, streamTriggers } from './control-plane-template.js';

/**
 * Stand-in for Lambda's DynamoDB event source mapping: the emulator keeps a table's change stream but triggers
 * nothing. Every tick this reads the new records of each shard (from the stream's end when it starts, as a new
 * mapping at LATEST would) and invokes the function with them in batches, in order; a failed invocation is retried
 * with the same records on the next tick, as Lambda retries a batch.
 */
export interface StreamStandInOptions {
  readonly dynamo: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableName: string;
  readonly batchSize: number;
  /** Runs the function with a DynamoDB stream event. */
  readonly invoke: (event: { Records: unknown[] }) => Promise<unknown>;
  /** @default 500 */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface StreamStandIn {
  /** One pass: delivers what is new. Returns how many records were delivered. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/** The record as Lambda delivers it (the event source's ARN and region added). */
function lambdaRecord(record: _Record, streamArn: string) {
  return { ...record, eventSourceARN: streamArn, awsRegion: record.awsRegion ?? 'us-east-1' };
}

export async function startStreamStandIn(options: StreamStandInOptions): Promise<StreamStandIn> {
  const { Table } = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const iterators = new Map<string, string>();
  const describe = await options.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of describe.StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await options.streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'LATEST' }),
    );
    if (shard.ShardId && ShardIterator) iterators.set(shard.ShardId, ShardIterator);
  }

  async function tick(): Promise<number> {
    let delivered = 0;
    for (const [shardId, iterator] of iterators) {
      const page = await options.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const records = (page.Records ?? []).map((r) => lambdaRecord(r, streamArn as string));
      for (let i = 0; i < records.length; i += options.batchSize) {
        await options.invoke({ Records: records.slice(i, i + options.batchSize) });
      }
      delivered += records.length;
      if (page.NextShardIterator) iterators.set(shardId, page.NextShardIterator);
    }
    return delivered;
  }

  let running: Promise<number> | undefined;
  const serialTick = () => {
    running ??= tick().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    serialTick().catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 500);
  timer.unref();
  return {
    tick: serialTick,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** One stand-in per stream trigger of the template (its table's stream → its function), stopped together. */
export async function startStreamTriggers(options: {
  readonly template: ControlPlaneTemplate;
  readonly emulatorUrl: string;
  readonly invoke: (entry: string, event: { Records: unknown[] }) => Promise<unknown>;
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}): Promise<{ tick(): Promise<number>; stop(): Promise<void> }> {
  const config = emulatorClientConfig(options.emulatorUrl);
  const dynamo = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const standIns = await Promise.all(
    streamTriggers(options.template).map((trigger) =>
      startStreamStandIn({
        dynamo,
        streams,
        tableName: physicalName(trigger.tableLogicalId),
        batchSize: trigger.batchSize,
        invoke: (event) => options.invoke(trigger.entry, event),
        ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      }),
    ),
  );
  return {
    tick: async () => (await Promise.all(standIns.map((s) => s.tick()))).reduce((a, b) => a + b, 0),
    stop: async () => {
      await Promise.all(standIns.map((s) => s.stop()));
      dynamo.destroy();
      streams.destroy();
    },
  };
}
