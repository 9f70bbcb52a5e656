import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface RegistryProps {
  /**
   * Protects the environments table from deletion (CloudFormation and console).
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The registry of environments (one item per environment, conditional writes on `version`) and the
 * Powertools idempotency table used by the API.
 */
export class Registry extends Construct {
  /**
   * Environments: key `id`; GSIs `byOwner` (owner, createdAt) and `byStatus` (status, expiresAt). Their timelines
   * share the table (key `<id>#<eventKey>`, GSI `timeline` (environmentId, eventKey)) and live as long as they do.
   */
  readonly table: Table;
  /** Powertools idempotency records: key `id`, TTL attribute `expiration`. */
  readonly idempotencyTable: Table;

  constructor(scope: Construct, id: string, props: RegistryProps = {}) {
    super(scope, id);
    const deletionProtection = props.deletionProtection ?? true;

    this.table = new Table(this, 'Environments', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection,
      removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // Every change, before and after: published as lifecycle events (./lifecycle-events.ts).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'byOwner',
      partitionKey: { name: 'owner', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'byStatus',
      partitionKey: { name: 'status', type: AttributeType.STRING },
      sortKey: { name: 'expiresAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.table.addGlobalSecondaryIndex({
      indexName: 'timeline',
      partitionKey: { name: 'environmentId', type: AttributeType.STRING },
      sortKey: { name: 'eventKey', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.idempotencyTable = new Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiration',
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
