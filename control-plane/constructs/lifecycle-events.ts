import { Duration } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HouseFunction } from './house-function.js';
import type { Registry } from './registry.js';

export interface LifecycleEventsProps {
  /** The registry whose change stream is published. */
  readonly registry: Registry;
  readonly logRetention: RetentionDays;
}

/**
 * The lifecycle events (functions/schemas/lifecycle-events.ts): a bus of the control plane's own, and the function
 * that records on the environments' timelines, then publishes on the bus, what the registry's change stream says
 * happened, so every writer's change is recorded and published once it is stored.
 */
export class LifecycleEvents extends Construct {
  readonly bus: EventBus;
  readonly publisher: HouseFunction;

  constructor(scope: Construct, id: string, props: LifecycleEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'Lifecycle events of the environments (source dsenv)' });
    this.publisher = new HouseFunction(this, 'Publisher', {
      entry: 'functions/workflow/lifecycle-publisher.ts',
      description: "Records the registry's changes on the timelines and publishes them as lifecycle events",
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    })
      .withEnv('EVENT_BUS_NAME', this.bus.eventBusName)
      // Writes the timelines (next to the records); an Expiring Soon entry is published with its environment as it is now.
      .useTable(props.registry.table);
    this.bus.grantPutEventsTo(this.publisher);
    this.publisher.addEventSource(
      new DynamoEventSource(props.registry.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        bisectBatchOnError: true,
        retryAttempts: 10,
      }),
    );
  }
}
