import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeProvisionedProductCommand,
  DescribeRecordCommand,
  ProvisionProductCommand,
  ScanProvisionedProductsCommand,
  ServiceCatalogClient,
  TerminateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { type ApiEnvironment, fastLocalOptions } from './local-api.js';

/**
 * A catalog launch end to end in local mode: ProvisionProduct → the product stack in the emulator with the
 * catalog's tags → registration (source service-catalog, owner = the launching principal) → validation → READY;
 * then expiry (TTL 1 minute) and termination from the catalog both end in DELETED with no provisioned product,
 * no product stack and no blueprint stack left.
 */
const CAROL = 'arn:aws:iam::123456789012:user/carol';

interface CatalogEnvironment extends ApiEnvironment {
  source: string;
  owner: string;
  provisionedProductId?: string;
  stackName: string;
}

describe('local mode: Service Catalog launches through the same engine', () => {
  let local: LocalControlPlane;
  let catalog: ServiceCatalogClient;
  let cfn: CloudFormationClient;
  const lines: string[] = [];
  let expiringProduct: string;
  let terminatedProduct: string;

  async function listAs(principal: string): Promise<CatalogEnvironment[]> {
    const res = await fetch(`${local.apiUrl}/environments`, { headers: { 'x-principal': principal } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: CatalogEnvironment[] }).items;
  }

  async function environmentOf(provisionedProductId: string, timeoutMs = 30_000): Promise<CatalogEnvironment> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await listAs(CAROL)).find((e) => e.provisionedProductId === provisionedProductId);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no environment for ${provisionedProductId}: ${JSON.stringify(local.serviceCatalog.products())} ${lines.join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function waitFor(provisionedProductId: string, statuses: string[], timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    const seen: string[] = [];
    for (;;) {
      const environment = await environmentOf(provisionedProductId);
      if (seen[seen.length - 1] !== environment.status) seen.push(environment.status);
      if (statuses.includes(environment.status)) return { environment, seen };
      if (Date.now() > deadline) throw new Error(`${environment.id} still ${environment.status} (${seen.join(' → ')})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function launch(
    name: string,
    ttlMinutes: number,
    more: readonly { Key: string; Value: string }[] = [],
  ): Promise<string> {
    const out = await catalog.send(
      new ProvisionProductCommand({
        ProductId: local.serviceCatalog.productId,
        ProvisioningArtifactId: local.serviceCatalog.provisioningArtifactId,
        ProvisionedProductName: name,
        ProvisioningParameters: [
          { Key: 'EnvironmentName', Value: name },
          { Key: 'TtlMinutes', Value: String(ttlMinutes) },
          ...more,
        ],
        ProvisionToken: `${name}-token`,
      }),
    );
    const id = out.RecordDetail?.ProvisionedProductId;
    if (!id) throw new Error('ProvisionProduct returned no provisioned product id');
    return id;
  }

  async function provisionedProductGone(id: string): Promise<boolean> {
    try {
      await catalog.send(new DescribeProvisionedProductCommand({ Id: id }));
      return false;
    } catch (error) {
      return (error as Error).name === 'ResourceNotFoundException';
    }
  }

  async function stackStatus(name: string): Promise<string> {
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
      return out.Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
    } catch (error) {
      if (/does not exist/.test((error as Error).message)) return 'DOES_NOT_EXIST';
      throw error;
    }
  }

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({
        log: (line) => lines.push(line),
      }),
    );
    catalog = new ServiceCatalogClient({ ...emulatorClientConfig(local.serviceCatalog.endpoint) });
    // The launching principal (on AWS: the caller's identity, which the catalog tags the product stack with).
    catalog.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-principal'] = CAROL;
        return next(args);
      },
      { step: 'build', name: 'localPrincipal' },
    );
    cfn = new CloudFormationClient(emulatorClientConfig(local.emulatorUrl));
    expiringProduct = await launch('catalog-expiring', 1);
    terminatedProduct = await launch('catalog-terminated', 30);
  }, 120_000);

  afterAll(async () => {
    catalog?.destroy();
    cfn?.destroy();
    await local?.stop();
  });

  it('registers a launch as the launching principal’s environment, with source service-catalog, and validates it to READY', async () => {
    const registered = await environmentOf(expiringProduct);

    expect(registered).toMatchObject({
      name: 'catalog-expiring',
      owner: CAROL,
      source: 'service-catalog',
      provisionedProductId: expiringProduct,
    });
    expect(await listAs('arn:aws:iam::123456789012:user/mallory')).toEqual([]);
    const { environment, seen } = await waitFor(expiringProduct, ['READY', 'FAILED'], 60_000);
    expect(seen[0]).toBe('CREATING');
    expect(environment.status).toBe('READY');
    expect(environment.validation?.checks.filter((c) => c.status !== 'passed')).toEqual([]);
    expect(await stackStatus(environment.stackName)).toBe('CREATE_COMPLETE');
    const detail = await catalog.send(new DescribeProvisionedProductCommand({ Id: expiringProduct }));
    expect(detail.ProvisionedProductDetail?.Status).toBe('AVAILABLE');
    // SDK v3 reads the records as the catalog writes them (timestamps, outputs).
    const launchRecord = await catalog.send(
      new DescribeRecordCommand({ Id: detail.ProvisionedProductDetail?.LastProvisioningRecordId }),
    );
    expect(launchRecord.RecordDetail).toMatchObject({ Status: 'SUCCEEDED', RecordType: 'PROVISION_PRODUCT' });
    expect(launchRecord.RecordDetail?.CreatedTime).toBeInstanceOf(Date);
    expect(launchRecord.RecordOutputs).toContainEqual(
      expect.objectContaining({ OutputKey: 'EnvironmentId', OutputValue: environment.id }),
    );
    const product = local.serviceCatalog.products().find((p) => p.id === expiringProduct);
    expect(product?.outputs.EnvironmentId).toBe(environment.id);
    const productStack = await cfn.send(new DescribeStacksCommand({ StackName: product?.stackId }));
    expect(productStack.Stacks?.[0]?.Tags).toContainEqual({
      Key: 'aws:servicecatalog:provisioningPrincipalArn',
      Value: CAROL,
    });
  });

  it('tears the environment down when the product is terminated from the catalog, leaving nothing behind', async () => {
    const { environment: ready } = await waitFor(terminatedProduct, ['READY', 'FAILED'], 60_000);
    expect(ready.status).toBe('READY');
    const productStackId = local.serviceCatalog.products().find((p) => p.id === terminatedProduct)?.stackId;

    await catalog.send(
      new TerminateProvisionedProductCommand({ ProvisionedProductId: terminatedProduct, TerminateToken: 'by-carol' }),
    );
    const { environment, seen } = await waitFor(terminatedProduct, ['DELETED', 'FAILED'], 60_000);
    await local.serviceCatalog.idle();

    expect(seen).toContain('DELETED');
    expect(environment.status).toBe('DELETED');
    expect(environment.teardown?.remaining).toEqual([]);
    expect(await stackStatus(environment.stackName)).toMatch(/DOES_NOT_EXIST|DELETE_COMPLETE/);
    expect(await stackStatus(productStackId ?? 'none')).toMatch(/DOES_NOT_EXIST|DELETE_COMPLETE/);
    expect(await provisionedProductGone(terminatedProduct)).toBe(true);
  });

  it('rolls a refused launch back before it shows ERROR: by then its product stack is gone, and no environment', async () => {
    // Prepare: the platform allows no secrets (the default), so the registration refuses this launch
    const refused = await launch('catalog-refused', 30, [
      { Key: 'ServiceImage', Value: '123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service:1' },
      { Key: 'ServicePort', Value: '8080' },
      { Key: 'ServiceSecret1Name', Value: 'DB_PASSWORD' },
      { Key: 'ServiceSecret1Arn', Value: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/db-AbCdEf' },
    ]);
    const product = () => local.serviceCatalog.products().find((p) => p.id === refused);

    // Act: the moment the catalog shows the launch over, its stack as CloudFormation shows it
    const deadline = Date.now() + 30_000;
    while (product()?.status === 'UNDER_CHANGE' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const stackAtError = await stackStatus(product()?.stackId ?? 'none');

    // Assess
    expect(product()?.status).toBe('ERROR');
    expect(product()?.statusMessage).toMatch(/allows no secrets/);
    expect(stackAtError).toMatch(/DOES_NOT_EXIST|DELETE_COMPLETE/);
    expect((await listAs(CAROL)).some((e) => e.provisionedProductId === refused)).toBe(false);
    // Then the catalog's own clean-up: a failed product is terminated like any other.
    await catalog.send(
      new TerminateProvisionedProductCommand({ ProvisionedProductId: refused, TerminateToken: 'refused-terminate' }),
    );
    await local.serviceCatalog.idle();
    expect(await provisionedProductGone(refused)).toBe(true);
  });

  it('expires a catalog environment like any other and terminates its provisioned product, so the catalog shows nothing stale', async () => {
    const { environment: registered } = await waitFor(expiringProduct, ['READY', 'FAILED'], 60_000);
    const msToExpiry = Date.parse(registered.expiresAt) - Date.now();

    const { environment } = await waitFor(expiringProduct, ['DELETED', 'FAILED'], msToExpiry + 60_000);
    const deadline = Date.now() + 20_000;
    while (!(await provisionedProductGone(expiringProduct)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    await local.serviceCatalog.idle();

    expect(environment.status).toBe('DELETED');
    expect(environment.teardown?.remaining).toEqual([]);
    expect(await provisionedProductGone(expiringProduct)).toBe(true);
    expect((await catalog.send(new ScanProvisionedProductsCommand({}))).ProvisionedProducts).toEqual([]);
    const productStackId = local.serviceCatalog.products().find((p) => p.id === expiringProduct)?.stackId;
    expect(await stackStatus(productStackId ?? 'none')).toMatch(/DOES_NOT_EXIST|DELETE_COMPLETE/);
    expect(local.liveEnvironments()).toEqual([]);
  }, 150_000);
});
