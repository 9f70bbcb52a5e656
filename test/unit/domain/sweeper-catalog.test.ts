import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type CatalogProductsPort,
  catalogEnvironmentId,
  type ProvisionedProductSummary,
  REGISTRATION_LOGICAL_ID,
} from '../../../functions/domain/service-catalog.js';
import { type SweeperDeps, sweep } from '../../../functions/domain/sweeper.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import { anEnvironment, FakeRegistry, fixedClock, recordingLogger } from '../../fixtures/workflow/fakes.js';

/**
 * The sweeper and Service Catalog: a provisioned product whose environment is already DELETED or FAILED (its
 * teardown's termination was lost) is terminated and reported; every other product is left alone.
 */
const cfnMock = mockClient(CloudFormationClient);
const NOW = '2026-11-25T12:00:00.000Z';
const productStack = (pp: string) => `arn:aws:cloudformation:us-east-1:123456789012:stack/SC-123456789012-${pp}/1`;

/** The environment a product's registration created (its id derives from the product stack). */
const catalogEnvironment = (pp: string, overrides: Partial<Environment>) => {
  const id = catalogEnvironmentId(productStack(pp), REGISTRATION_LOGICAL_ID);
  return anEnvironment({
    id,
    stackName: `dsenv-${id}`,
    source: 'service-catalog',
    provisionedProductId: pp,
    updatedAt: '2026-11-25T11:00:00.000Z',
    expiresAt: '2026-11-25T14:00:00.000Z',
    ...overrides,
  });
};

class FakeCatalog implements CatalogProductsPort {
  readonly terminated: { id: string; token: string; ignoreErrors: boolean }[] = [];
  constructor(readonly products: ProvisionedProductSummary[]) {}
  list = async () => this.products;
  terminate = async (id: string, token: string, ignoreErrors: boolean) => {
    this.terminated.push({ id, token, ignoreErrors });
  };
}

function setup(catalog: CatalogProductsPort, ...environments: Environment[]) {
  const clock = fixedClock(NOW);
  const logger = recordingLogger();
  const deps: SweeperDeps = {
    registry: new FakeRegistry(clock, ...environments),
    sfn: new SFNClient({ region: 'us-east-1' }),
    cfn: new CloudFormationClient({ region: 'us-east-1' }),
    startWorkflow: async () => 'arn:aws:states:us-east-1:123456789012:execution:sm:x',
    expiry: { exists: async () => true, create: async () => undefined },
    clock,
    logger: logger as unknown as SweeperDeps['logger'],
    catalog,
    config: { stuckAfterMinutes: 60 },
  };
  return { deps, logger };
}

const stackMissing = Object.assign(new Error('Stack with id x does not exist'), { name: 'ValidationError' });

beforeEach(() => {
  cfnMock.reset();
  cfnMock.on(ListStacksCommand).resolves({ StackSummaries: [] });
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'SC', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }],
  });
});

describe('sweep: leftover provisioned products', () => {
  it('terminates the product of a DELETED catalog environment and reports it', async () => {
    const deleted = catalogEnvironment('pp-deleted0001', { status: 'DELETED' });
    const catalog = new FakeCatalog([
      { id: 'pp-deleted0001', status: 'AVAILABLE', stackId: productStack('pp-deleted0001'), lastRecordId: 'rec-2' },
    ]);
    const { deps, logger } = setup(catalog, deleted);

    const summary = await sweep(deps);

    expect(summary).toMatchObject({ leftoverProductsTerminated: 1, errors: 0 });
    expect(catalog.terminated).toEqual([
      { id: 'pp-deleted0001', token: `${deleted.id}-sweep-rec-2`, ignoreErrors: false },
    ]);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'leftover provisioned product terminated' }),
    );
  });

  it('terminates with IgnoreErrors the product of a FAILED environment whose product stack is already gone', async () => {
    const failed = catalogEnvironment('pp-failed00001', { status: 'FAILED', failureReason: 'x' });
    const catalog = new FakeCatalog([
      { id: 'pp-failed00001', status: 'ERROR', stackId: productStack('pp-failed00001') },
    ]);
    cfnMock.on(DescribeStacksCommand).rejects(stackMissing);
    const { deps } = setup(catalog, failed);

    const summary = await sweep(deps);

    expect(summary.leftoverProductsTerminated).toBe(1);
    expect(catalog.terminated).toEqual([
      { id: 'pp-failed00001', token: `${failed.id}-sweep-none`, ignoreErrors: true },
    ]);
  });

  it('leaves alone live environments’ products, products under change, failed launches and other products', async () => {
    const live = catalogEnvironment('pp-live0000001', { status: 'READY' });
    const changing = catalogEnvironment('pp-changing001', { status: 'DELETED' });
    const other = catalogEnvironment('pp-other000001', { status: 'DELETED', provisionedProductId: 'pp-someoneelse' });
    const catalog = new FakeCatalog([
      { id: 'pp-live0000001', status: 'AVAILABLE', stackId: productStack('pp-live0000001') },
      { id: 'pp-changing001', status: 'UNDER_CHANGE', stackId: productStack('pp-changing001') },
      // A launch whose registration failed: no environment derives from its stack.
      { id: 'pp-neverreg001', status: 'ERROR', stackId: productStack('pp-neverreg001') },
      { id: 'pp-other000001', status: 'AVAILABLE', stackId: productStack('pp-other000001') },
      { id: 'pp-nostack0001', status: 'AVAILABLE' },
    ]);
    const { deps } = setup(catalog, live, changing, other);

    const summary = await sweep(deps);

    expect(summary).toMatchObject({ leftoverProductsTerminated: 0, errors: 0 });
    expect(catalog.terminated).toEqual([]);
  });

  it('counts an unreachable catalog as an error and still repairs the rest', async () => {
    const catalog: CatalogProductsPort = {
      list: async () => Promise.reject(new Error('catalog unavailable')),
      terminate: async () => undefined,
    };
    const { deps, logger } = setup(catalog);

    const summary = await sweep(deps);

    expect(summary).toMatchObject({ leftoverProductsTerminated: 0, errors: 1 });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'sweeper could not terminate leftover provisioned products' }),
    );
  });
});
