import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { type ProductParameterRules, REGISTRATION_RESOURCE_TYPE } from '../control-plane/constructs/catalog.js';
import { ENVIRONMENT_ID_PREFIX } from '../functions/domain/naming.js';
import { closeServer } from './loopback.js';
import {
  type CatalogDescription,
  CatalogError,
  emulatorTemplate,
  type GivenParameter,
  type ProductTemplate,
  productTemplate,
  provisioningArtifactParameters,
  registrationOf,
  resolveParameters,
} from './service-catalog-product.js';
import { LOCAL_ACCOUNT, principalOf } from './signing-identity.js';

/**
 * Stand-in for Service Catalog, which the emulator does not implement (moto 5.2.1 has ProvisionProduct and
 * TerminateProvisionedProduct unimplemented and runs no custom resources). It answers the end-user API of the
 * catalog (AWS JSON 1.1, `X-Amz-Target: AWS242ServiceCatalogService.<Operation>`, the request and response
 * shapes of aws CLI v1 and SDK v3) for the control plane's one product, and does what the catalog and
 * CloudFormation would:
 * - ProvisionProduct: checks the parameters against the product template's constraints (InvalidParameters-
 *   Exception before anything starts), deploys the template to the emulator as the product stack
 *   `SC-<account>-pp-<id>` with the catalog's `aws:servicecatalog:*` tags, sends the
 *   `Custom::EnvironmentRegistration` its Create event (the emulator cannot: the resource is left out of the stack
 *   it deploys) and waits for the answer at a ResponseURL of its own; the record then SUCCEEDS with the outputs;
 * - UpdateProvisionedProduct: the registration's Update event with the old and new properties (a new TTL);
 * - TerminateProvisionedProduct: the registration's Delete event, then the product stack is deleted.
 * The caller is `X-Principal`, else the SigV4 signing identity (local/signing-identity.ts), as for the API.
 */
export interface ServiceCatalogStandInOptions {
  readonly cloudFormation: CloudFormationClient;
  /** Runs the registration function with a CloudFormation custom-resource event. */
  readonly invokeRegistration: (event: unknown) => Promise<unknown>;
  /** Bounds of the product's parameters. */
  readonly rules: ProductParameterRules;
  /** Names of the product, artifact and portfolio (`catalogDescription` of the control-plane template). */
  readonly description: CatalogDescription;
  /** @default LOCAL_ACCOUNT */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** How long CloudFormation waits for a custom resource's answer. @default 60000 */
  readonly responseTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

type ProductStatus = 'UNDER_CHANGE' | 'AVAILABLE' | 'TAINTED' | 'ERROR' | 'TERMINATED';
type RecordType = 'PROVISION_PRODUCT' | 'UPDATE_PROVISIONED_PRODUCT' | 'TERMINATE_PROVISIONED_PRODUCT';
type RecordStatus = 'CREATED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

export interface LocalProvisionedProduct {
  readonly id: string;
  readonly name: string;
  readonly principal: string;
  readonly idempotencyToken: string;
  status: ProductStatus;
  statusMessage?: string;
  stackId?: string;
  /** The product's outputs (the stack's outputs, the registration's attributes among them). */
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  /** Physical id of the registration (the environment id once registered). */
  physicalResourceId?: string;
  terminateToken?: string;
  lastRecordId?: string;
  lastProvisioningRecordId?: string;
  lastSuccessfulProvisioningRecordId?: string;
  readonly createdTime: Date;
}

export interface LocalRecord {
  readonly id: string;
  readonly type: RecordType;
  readonly productId: string;
  status: RecordStatus;
  errors: { Code: string; Description: string }[];
  /** The product's outputs when the record ended. */
  outputs?: Record<string, string>;
  readonly createdTime: Date;
  updatedTime: Date;
}

export interface ServiceCatalogStandIn {
  /** For `AWS_ENDPOINT_URL_SERVICE_CATALOG` and `aws servicecatalog --endpoint-url`. */
  readonly endpoint: string;
  readonly portfolioId: string;
  readonly productId: string;
  readonly provisioningArtifactId: string;
  /** The launch path (the portfolio) a provision names as `PathId`. */
  readonly pathId: string;
  /** The product template, as the catalog holds it. */
  readonly template: ProductTemplate;
  /** Every provisioned product, terminated ones included. */
  products(): readonly LocalProvisionedProduct[];
  /** Resolves when nothing is being provisioned, updated or terminated. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

/** The stand-in's state and what it needs, shared by the operations below. */
interface Catalog {
  readonly options: ServiceCatalogStandInOptions;
  readonly account: string;
  readonly region: string;
  readonly ids: { portfolioId: string; productId: string; provisioningArtifactId: string; pathId: string };
  readonly template: ProductTemplate;
  readonly registration: { id: string; properties: Record<string, unknown> };
  readonly products: Map<string, LocalProvisionedProduct>;
  readonly records: Map<string, LocalRecord>;
  /** Provision tokens → record id: a repeated ProvisionProduct is the same launch. */
  readonly provisionTokens: Map<string, string>;
  readonly pendingResponses: Map<string, (body: Body) => void>;
  readonly inFlight: Set<Promise<void>>;
  readonly log: (line: string) => void;
  baseUrl: string;
}

type Operation = (catalog: Catalog, body: Body, principal: string) => unknown;

const randomId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const epochSeconds = (date: Date) => date.getTime() / 1000;

// ── the engine: what CloudFormation and the catalog do for a launch, an update and a termination ──

/** Sends one custom-resource event as CloudFormation would, and waits for its answer at ResponseURL. */
async function customResourceEvent(
  catalog: Catalog,
  product: LocalProvisionedProduct,
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown>,
  oldProperties?: Record<string, unknown>,
): Promise<Body> {
  const requestId = randomUUID();
  const answered = new Promise<Body>((resolve, reject) => {
    const timer = setTimeout(() => {
      catalog.pendingResponses.delete(requestId);
      reject(new CatalogError('Timeout', `no answer to the ${requestType} event`));
    }, catalog.options.responseTimeoutMs ?? 60_000);
    catalog.pendingResponses.set(requestId, (body) => {
      clearTimeout(timer);
      resolve(body);
    });
  });
  const event = {
    RequestType: requestType,
    ServiceToken: String(catalog.registration.properties.ServiceToken ?? ''),
    ResponseURL: `${catalog.baseUrl}/cloudformation-responses/${requestId}`,
    StackId: product.stackId,
    RequestId: requestId,
    LogicalResourceId: catalog.registration.id,
    ResourceType: REGISTRATION_RESOURCE_TYPE,
    ResourceProperties: { ServiceToken: 'local:registration-function', ...properties },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: product.physicalResourceId }),
    ...(oldProperties
      ? { OldResourceProperties: { ServiceToken: 'local:registration-function', ...oldProperties } }
      : {}),
  };
  // Lambda's asynchronous invocation: an error leaves the request unanswered (CloudFormation then times out).
  catalog.options
    .invokeRegistration(event)
    .catch((error: unknown) => catalog.log(`registration ${requestType}: ${String(error)}`));
  return answered;
}

/** The registration's properties: its template properties with the product's parameters substituted. */
function registrationProperties(catalog: Catalog, parameters: Record<string, string>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(catalog.registration.properties)) {
    if (key === 'ServiceToken') continue;
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    properties[key] = typeof ref === 'string' ? parameters[ref] : value;
  }
  return properties;
}

/** The product's outputs: the registration's attributes (`Fn::GetAtt`) and the product stack's own outputs. */
async function productOutputs(catalog: Catalog, product: LocalProvisionedProduct, data: Body) {
  const outputs: Record<string, string> = {};
  const stack = product.stackId
    ? (await catalog.options.cloudFormation.send(new DescribeStacksCommand({ StackName: product.stackId }))).Stacks?.[0]
    : undefined;
  for (const o of stack?.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
  for (const [key, output] of Object.entries(catalog.template.Outputs ?? {})) {
    const getAtt = (output.Value as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
    if (getAtt?.[0] === catalog.registration.id && data[getAtt[1]] !== undefined) {
      outputs[key] = String(data[getAtt[1]]);
    }
  }
  return outputs;
}

function settle(catalog: Catalog, record: LocalRecord, error?: string): void {
  record.status = error === undefined ? 'SUCCEEDED' : 'FAILED';
  if (error !== undefined) record.errors.push({ Code: 'ProvisioningFailed', Description: error });
  record.updatedTime = new Date();
  const product = catalog.products.get(record.productId);
  if (product) record.outputs = { ...product.outputs };
}

/** The catalog's tags on a product stack (`aws:` tags: nobody else can set them). */
function catalogTags(catalog: Catalog, product: LocalProvisionedProduct) {
  const { account, region, ids } = catalog;
  return [
    {
      Key: 'aws:servicecatalog:portfolioArn',
      Value: `arn:aws:catalog:${region}:${account}:portfolio/${ids.portfolioId}`,
    },
    { Key: 'aws:servicecatalog:productArn', Value: `arn:aws:catalog:${region}:${account}:product/${ids.productId}` },
    { Key: 'aws:servicecatalog:provisioningArtifactIdentifier', Value: ids.provisioningArtifactId },
    { Key: 'aws:servicecatalog:provisionedProductArn', Value: productArn(catalog, product) },
    { Key: 'aws:servicecatalog:provisioningPrincipalArn', Value: product.principal },
  ];
}

async function provision(catalog: Catalog, product: LocalProvisionedProduct, record: LocalRecord): Promise<void> {
  record.status = 'IN_PROGRESS';
  const created = await catalog.options.cloudFormation.send(
    new CreateStackCommand({
      StackName: `SC-${catalog.account}-${product.id}`,
      TemplateBody: JSON.stringify(emulatorTemplate(catalog.template)),
      Parameters: Object.entries(product.parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
      Tags: catalogTags(catalog, product),
    }),
  );
  product.stackId = created.StackId;
  const properties = registrationProperties(catalog, product.parameters);
  // No answer in time fails the resource as CloudFormation fails it: the stack rolls back like any failed create.
  const answer = await customResourceEvent(catalog, product, 'Create', properties).catch(
    (error: unknown): Body => ({ Status: 'FAILED', Reason: (error as Error).message }),
  );
  product.physicalResourceId = String(answer.PhysicalResourceId ?? '');
  if (answer.Status === 'SUCCESS') {
    product.outputs = await productOutputs(catalog, product, (answer.Data ?? {}) as Body);
    product.status = 'AVAILABLE';
    product.lastSuccessfulProvisioningRecordId = record.id;
    settle(catalog, record);
    catalog.log(`provisioned product ${product.id} available: ${product.outputs.EnvironmentId ?? '?'}`);
    return;
  }
  // A failed create rolls back: the failed resource gets its Delete, the stack goes; only then does the record fail
  // and the product show ERROR (Service Catalog reports the launch once CloudFormation is done with it).
  const reason = String(answer.Reason ?? 'registration failed');
  await customResourceEvent(catalog, product, 'Delete', properties).catch(() => undefined);
  await catalog.options.cloudFormation.send(new DeleteStackCommand({ StackName: created.StackId }));
  product.status = 'ERROR';
  product.statusMessage = reason;
  settle(catalog, record, product.statusMessage);
  catalog.log(`provisioned product ${product.id} failed: ${product.statusMessage}`);
}

async function update(
  catalog: Catalog,
  product: LocalProvisionedProduct,
  record: LocalRecord,
  parameters: Record<string, string>,
): Promise<void> {
  record.status = 'IN_PROGRESS';
  const oldProperties = registrationProperties(catalog, product.parameters);
  const properties = registrationProperties(catalog, parameters);
  const answer = await customResourceEvent(catalog, product, 'Update', properties, oldProperties);
  if (answer.Status === 'SUCCESS') {
    product.parameters = parameters;
    product.outputs = { ...product.outputs, ...(await productOutputs(catalog, product, (answer.Data ?? {}) as Body)) };
    product.status = 'AVAILABLE';
    delete product.statusMessage;
    product.lastSuccessfulProvisioningRecordId = record.id;
    settle(catalog, record);
    return;
  }
  // The stack update rolls back: the product keeps its previous parameters and is marked TAINTED.
  product.status = 'TAINTED';
  product.statusMessage = String(answer.Reason ?? 'update failed');
  settle(catalog, record, product.statusMessage);
}

async function terminate(catalog: Catalog, product: LocalProvisionedProduct, record: LocalRecord): Promise<void> {
  record.status = 'IN_PROGRESS';
  if (product.stackId !== undefined) {
    if (product.physicalResourceId?.startsWith(ENVIRONMENT_ID_PREFIX)) {
      const answer = await customResourceEvent(catalog, product, 'Delete', {});
      if (answer.Status !== 'SUCCESS') {
        product.status = 'ERROR';
        product.statusMessage = String(answer.Reason ?? 'termination failed');
        delete product.terminateToken;
        settle(catalog, record, product.statusMessage);
        return;
      }
    }
    await catalog.options.cloudFormation.send(new DeleteStackCommand({ StackName: product.stackId }));
  }
  product.status = 'TERMINATED';
  settle(catalog, record);
  catalog.log(`provisioned product ${product.id} terminated`);
}

/** Runs a record's work in the background; a thrown error fails the record and leaves the product in ERROR. */
function track(
  catalog: Catalog,
  product: LocalProvisionedProduct,
  record: LocalRecord,
  work: (c: Catalog, p: LocalProvisionedProduct, r: LocalRecord) => Promise<void>,
): void {
  const tracked = work(catalog, product, record).catch((error: unknown) => {
    product.status = 'ERROR';
    product.statusMessage = (error as Error).message;
    settle(catalog, record, product.statusMessage);
    catalog.log(`service catalog stand-in: ${product.statusMessage}`);
  });
  catalog.inFlight.add(tracked);
  void tracked.finally(() => catalog.inFlight.delete(tracked));
}

// ── the API's shapes ──

function productArn(catalog: Catalog, product: LocalProvisionedProduct): string {
  return `arn:aws:servicecatalog:${catalog.region}:${catalog.account}:stack/${product.name}/${product.id}`;
}

function productViewSummary(catalog: Catalog) {
  const { product } = catalog.options.description;
  return {
    Id: `prodview-${catalog.ids.productId.slice(5)}`,
    ProductId: catalog.ids.productId,
    Name: product.name,
    Owner: product.owner,
    ShortDescription: product.description,
    Type: 'CLOUD_FORMATION_TEMPLATE',
    Distributor: '',
    HasDefaultPath: false,
    SupportEmail: '',
    SupportDescription: '',
    SupportUrl: '',
  };
}

const CREATED_AT = new Date();

function artifactView(catalog: Catalog) {
  const { artifact } = catalog.options.description;
  return {
    Id: catalog.ids.provisioningArtifactId,
    Name: artifact.name,
    Description: artifact.description,
    CreatedTime: epochSeconds(CREATED_AT),
  };
}

function launchPath(catalog: Catalog) {
  const { portfolio, hasLaunchConstraint } = catalog.options.description;
  return {
    Id: catalog.ids.pathId,
    Name: portfolio.displayName,
    ConstraintSummaries: hasLaunchConstraint
      ? [{ Type: 'LAUNCH', Description: 'Launch as the product launch role' }]
      : [],
    Tags: [],
  };
}

function recordDetail(catalog: Catalog, record: LocalRecord) {
  const product = catalog.products.get(record.productId);
  return {
    RecordId: record.id,
    ProvisionedProductName: product?.name,
    Status: record.status,
    CreatedTime: epochSeconds(record.createdTime),
    UpdatedTime: epochSeconds(record.updatedTime),
    ProvisionedProductType: 'CFN_STACK',
    RecordType: record.type,
    ProvisionedProductId: record.productId,
    ProductId: catalog.ids.productId,
    ProvisioningArtifactId: catalog.ids.provisioningArtifactId,
    PathId: catalog.ids.pathId,
    RecordErrors: record.errors,
    RecordTags: [],
  };
}

/** Outputs as the catalog reports them: the stack's outputs and the stack's ARN. */
function recordOutputs(catalog: Catalog, product: LocalProvisionedProduct, outputs: Record<string, string>) {
  const described = Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
    OutputKey,
    OutputValue,
    Description: catalog.template.Outputs?.[OutputKey]?.Description ?? '',
  }));
  if (product.stackId === undefined) return described;
  return [
    ...described,
    {
      OutputKey: 'CloudformationStackARN',
      OutputValue: product.stackId,
      Description: 'The ARN of the launched Cloudformation Stack',
    },
  ];
}

function provisionedProductDetail(catalog: Catalog, product: LocalProvisionedProduct) {
  return {
    Name: product.name,
    Arn: productArn(catalog, product),
    Type: 'CFN_STACK',
    Id: product.id,
    Status: product.status,
    ...(product.statusMessage ? { StatusMessage: product.statusMessage } : {}),
    CreatedTime: epochSeconds(product.createdTime),
    IdempotencyToken: product.idempotencyToken,
    LastRecordId: product.lastRecordId,
    LastProvisioningRecordId: product.lastProvisioningRecordId,
    LastSuccessfulProvisioningRecordId: product.lastSuccessfulProvisioningRecordId,
    ProductId: catalog.ids.productId,
    ProvisioningArtifactId: catalog.ids.provisioningArtifactId,
  };
}

function provisionedProductAttribute(catalog: Catalog, product: LocalProvisionedProduct) {
  return {
    ...provisionedProductDetail(catalog, product),
    PhysicalId: product.stackId,
    ProductName: catalog.options.description.product.name,
    ProvisioningArtifactName: catalog.options.description.artifact.name,
    UserArn: product.principal,
    Tags: [],
  };
}

// ── lookups ──

function checkProduct(catalog: Catalog, body: Body): void {
  const { product, artifact } = catalog.options.description;
  const known = (id: unknown, name: unknown, ownId: string, ownName: string) =>
    (id === undefined && name === undefined) || id === ownId || (id === undefined && name === ownName);
  if (!known(body.ProductId ?? body.Id, body.ProductName ?? body.Name, catalog.ids.productId, product.name)) {
    throw new CatalogError(
      'ResourceNotFoundException',
      `Product ${String(body.ProductId ?? body.Id ?? body.ProductName ?? body.Name)} not found`,
    );
  }
  if (
    !known(
      body.ProvisioningArtifactId,
      body.ProvisioningArtifactName,
      catalog.ids.provisioningArtifactId,
      artifact.name,
    )
  ) {
    throw new CatalogError('ResourceNotFoundException', 'Provisioning artifact not found');
  }
  if (body.PathId !== undefined && body.PathId !== catalog.ids.pathId) {
    throw new CatalogError('ResourceNotFoundException', `Launch path ${String(body.PathId)} not found`);
  }
}

/** A provisioned product that is not terminated, by id or by name (as the operations accept either). */
function liveProduct(catalog: Catalog, id: unknown, name: unknown): LocalProvisionedProduct {
  const found = [...catalog.products.values()].find(
    (p) => p.status !== 'TERMINATED' && ((id !== undefined && p.id === id) || (id === undefined && p.name === name)),
  );
  if (found === undefined) {
    throw new CatalogError('ResourceNotFoundException', `Provisioned product ${String(id ?? name)} not found`);
  }
  return found;
}

function newRecord(catalog: Catalog, product: LocalProvisionedProduct, type: RecordType): LocalRecord {
  const now = new Date();
  const record: LocalRecord = {
    id: randomId('rec'),
    type,
    productId: product.id,
    status: 'CREATED',
    errors: [],
    createdTime: now,
    updatedTime: now,
  };
  catalog.records.set(record.id, record);
  product.lastRecordId = record.id;
  if (type !== 'TERMINATE_PROVISIONED_PRODUCT') product.lastProvisioningRecordId = record.id;
  return record;
}

/** Whose products a list shows: the caller's, or the account's (`AccessLevelFilter` Account). */
function visibleProducts(catalog: Catalog, body: Body, principal: string): LocalProvisionedProduct[] {
  const level = (body.AccessLevelFilter as { Key?: string } | undefined)?.Key ?? 'User';
  return [...catalog.products.values()].filter(
    (p) => p.status !== 'TERMINATED' && (level === 'Account' || p.principal === principal),
  );
}

// ── the operations ──

const provisionProduct: Operation = (catalog, body, principal) => {
  checkProduct(catalog, body);
  const token = String(body.ProvisionToken ?? randomUUID());
  const repeated = catalog.records.get(catalog.provisionTokens.get(token) ?? '');
  if (repeated) return { RecordDetail: recordDetail(catalog, repeated) };
  const name = String(body.ProvisionedProductName ?? '');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/.test(name)) {
    throw new CatalogError(
      'InvalidParametersException',
      'ProvisionedProductName must match [a-zA-Z0-9][a-zA-Z0-9._-]{0,127}',
    );
  }
  if ([...catalog.products.values()].some((p) => p.name === name && p.status !== 'TERMINATED')) {
    throw new CatalogError('DuplicateResourceException', `A provisioned product named ${name} already exists`);
  }
  const parameters = resolveParameters(catalog.template, (body.ProvisioningParameters ?? []) as GivenParameter[]);
  const product: LocalProvisionedProduct = {
    id: randomId('pp'),
    name,
    principal,
    idempotencyToken: token,
    status: 'UNDER_CHANGE',
    outputs: {},
    parameters,
    createdTime: new Date(),
  };
  catalog.products.set(product.id, product);
  const record = newRecord(catalog, product, 'PROVISION_PRODUCT');
  catalog.provisionTokens.set(token, record.id);
  track(catalog, product, record, provision);
  return { RecordDetail: recordDetail(catalog, record) };
};

const updateProvisionedProduct: Operation = (catalog, body) => {
  checkProduct(catalog, body);
  const product = liveProduct(catalog, body.ProvisionedProductId, body.ProvisionedProductName);
  if (product.status !== 'AVAILABLE' && product.status !== 'TAINTED') {
    throw new CatalogError('InvalidStateException', `Provisioned product ${product.id} is ${product.status}`);
  }
  const parameters = resolveParameters(
    catalog.template,
    (body.ProvisioningParameters ?? []) as GivenParameter[],
    product.parameters,
  );
  product.status = 'UNDER_CHANGE';
  const record = newRecord(catalog, product, 'UPDATE_PROVISIONED_PRODUCT');
  track(catalog, product, record, (c, p, r) => update(c, p, r, parameters));
  return { RecordDetail: recordDetail(catalog, record) };
};

const terminateProvisionedProduct: Operation = (catalog, body) => {
  const product = liveProduct(catalog, body.ProvisionedProductId, body.ProvisionedProductName);
  if (product.terminateToken !== undefined) {
    const last = catalog.records.get(product.lastRecordId ?? '');
    if (product.terminateToken === body.TerminateToken && last) return { RecordDetail: recordDetail(catalog, last) };
    throw new CatalogError('InvalidStateException', `Provisioned product ${product.id} is already being terminated`);
  }
  if (product.status === 'UNDER_CHANGE') {
    throw new CatalogError('InvalidStateException', `Provisioned product ${product.id} is under change`);
  }
  product.terminateToken = String(body.TerminateToken ?? '');
  product.status = 'UNDER_CHANGE';
  const record = newRecord(catalog, product, 'TERMINATE_PROVISIONED_PRODUCT');
  track(catalog, product, record, terminate);
  return { RecordDetail: recordDetail(catalog, record) };
};

const describeRecord: Operation = (catalog, body) => {
  const record = catalog.records.get(String(body.Id ?? ''));
  if (record === undefined) throw new CatalogError('ResourceNotFoundException', `Record ${String(body.Id)} not found`);
  const product = catalog.products.get(record.productId);
  const outputs = record.status === 'SUCCEEDED' && product ? recordOutputs(catalog, product, record.outputs ?? {}) : [];
  return { RecordDetail: recordDetail(catalog, record), RecordOutputs: outputs };
};

const listRecordHistory: Operation = (catalog, body, principal) => {
  const filter = body.SearchFilter as { Key?: string; Value?: string } | undefined;
  const level = (body.AccessLevelFilter as { Key?: string } | undefined)?.Key ?? 'User';
  const records = [...catalog.records.values()].filter((r) => {
    const product = catalog.products.get(r.productId);
    if (level !== 'Account' && product?.principal !== principal) return false;
    return filter?.Key !== 'provisionedproduct' || r.productId === filter.Value;
  });
  return { RecordDetails: records.reverse().map((r) => recordDetail(catalog, r)) };
};

const searchProvisionedProducts: Operation = (catalog, body, principal) => {
  const queries = ((body.Filters as Record<string, string[]> | undefined)?.SearchQuery ?? []).map((q) =>
    q.toLowerCase(),
  );
  const matches = (p: LocalProvisionedProduct) =>
    queries.every((q) => {
      const [field, value] = q.includes(':') ? (q.split(/:(.*)/s) as [string, string]) : ['', q];
      const fields: Record<string, string> = { name: p.name, id: p.id, status: p.status, type: 'cfn_stack' };
      return field
        ? (fields[field] ?? '').toLowerCase() === value
        : Object.values(fields).some((f) => f.toLowerCase().includes(value));
    });
  const found = visibleProducts(catalog, body, principal).filter(matches);
  return {
    ProvisionedProducts: found.map((p) => provisionedProductAttribute(catalog, p)),
    TotalResultsCount: found.length,
  };
};

const getProvisionedProductOutputs: Operation = (catalog, body) => {
  const product = liveProduct(catalog, body.ProvisionedProductId, body.ProvisionedProductName);
  const keys = body.OutputKeys as string[] | undefined;
  const outputs = recordOutputs(catalog, product, product.outputs).filter(
    (o) => !keys?.length || keys.includes(o.OutputKey),
  );
  return { Outputs: outputs };
};

const describeProvisioningParameters: Operation = (catalog, body) => {
  checkProduct(catalog, body);
  return {
    ProvisioningArtifactParameters: provisioningArtifactParameters(catalog.template),
    ConstraintSummaries: launchPath(catalog).ConstraintSummaries,
    UsageInstructions: [{ Type: 'version', Value: catalog.options.description.artifact.name }],
    TagOptions: [],
    ProvisioningArtifactPreferences: {},
    ProvisioningArtifactOutputs: Object.entries(catalog.template.Outputs ?? {}).map(([Key, o]) => ({
      Key,
      Description: o.Description ?? '',
    })),
    ProvisioningArtifactOutputKeys: Object.entries(catalog.template.Outputs ?? {}).map(([Key, o]) => ({
      Key,
      Description: o.Description ?? '',
    })),
  };
};

const OPERATIONS: Record<string, Operation> = {
  SearchProducts: (catalog) => ({ ProductViewSummaries: [productViewSummary(catalog)], ProductViewAggregations: {} }),
  DescribeProduct: (catalog, body) => {
    checkProduct(catalog, body);
    return {
      ProductViewSummary: productViewSummary(catalog),
      ProvisioningArtifacts: [artifactView(catalog)],
      Budgets: [],
      LaunchPaths: [{ Id: catalog.ids.pathId, Name: catalog.options.description.portfolio.displayName }],
    };
  },
  DescribeProductAsAdmin: (catalog, body) => {
    checkProduct(catalog, body);
    return {
      ProductViewDetail: {
        ProductViewSummary: productViewSummary(catalog),
        Status: 'CREATED',
        ProductARN: `arn:aws:catalog:${catalog.region}:${catalog.account}:product/${catalog.ids.productId}`,
        CreatedTime: epochSeconds(CREATED_AT),
      },
      ProvisioningArtifactSummaries: [{ ...artifactView(catalog), ProvisioningArtifactMetadata: {} }],
      Tags: [],
      TagOptions: [],
      Budgets: [],
    };
  },
  ListLaunchPaths: (catalog, body) => {
    checkProduct(catalog, body);
    return { LaunchPathSummaries: [launchPath(catalog)] };
  },
  ListProvisioningArtifacts: (catalog, body) => {
    checkProduct(catalog, body);
    return {
      ProvisioningArtifactDetails: [
        { ...artifactView(catalog), Type: 'CLOUD_FORMATION_TEMPLATE', Active: true, Guidance: 'DEFAULT' },
      ],
    };
  },
  DescribeProvisioningParameters: describeProvisioningParameters,
  ProvisionProduct: provisionProduct,
  DescribeRecord: describeRecord,
  ListRecordHistory: listRecordHistory,
  SearchProvisionedProducts: searchProvisionedProducts,
  ScanProvisionedProducts: (catalog, body, principal) => ({
    ProvisionedProducts: visibleProducts(catalog, body, principal).map((p) => provisionedProductDetail(catalog, p)),
  }),
  DescribeProvisionedProduct: (catalog, body) => ({
    ProvisionedProductDetail: provisionedProductDetail(catalog, liveProduct(catalog, body.Id, body.Name)),
    CloudWatchDashboards: [],
  }),
  GetProvisionedProductOutputs: getProvisionedProductOutputs,
  UpdateProvisionedProduct: updateProvisionedProduct,
  TerminateProvisionedProduct: terminateProvisionedProduct,
};

/** The operations the stand-in answers (the end-user flow of the catalog). */
export const SUPPORTED_OPERATIONS = Object.keys(OPERATIONS);

// ── the server ──

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  const type = (payload as { __type?: string }).__type;
  if (status >= 400 && type) headers['x-amzn-errortype'] = type;
  res.writeHead(status, headers).end(JSON.stringify(payload));
}

/** A custom resource's answer, PUT to the ResponseURL the stand-in gave it. */
function answerCustomResource(catalog: Catalog, requestId: string, body: string, res: ServerResponse): void {
  const resolve = catalog.pendingResponses.get(requestId);
  catalog.pendingResponses.delete(requestId);
  resolve?.(JSON.parse(body) as Body);
  res.writeHead(resolve ? 200 : 404).end();
}

async function handle(catalog: Catalog, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const response = /^\/cloudformation-responses\/([\w-]+)$/.exec(req.url ?? '');
  if (req.method === 'PUT' && response?.[1] !== undefined) return answerCustomResource(catalog, response[1], body, res);
  const target = String(req.headers['x-amz-target'] ?? '');
  const name = target.split('.').pop() ?? '';
  const operation = OPERATIONS[name];
  if (req.method !== 'POST' || !target.startsWith('AWS242ServiceCatalogService.') || operation === undefined) {
    const message = `${name || 'this request'} is not supported by the local Service Catalog; supported operations: ${SUPPORTED_OPERATIONS.join(', ')}`;
    return reply(res, 400, { __type: 'UnknownOperationException', message });
  }
  let input: Body;
  try {
    input = body === '' ? {} : (JSON.parse(body) as Body);
  } catch {
    return reply(res, 400, { __type: 'SerializationException', message: 'the request body is not JSON' });
  }
  const principal = principalOf({
    authorization: req.headers.authorization,
    principal: req.headers['x-principal'] as string | undefined,
  });
  try {
    reply(res, 200, operation(catalog, input, principal));
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    reply(res, 400, { __type: error.type, message: error.message });
  }
}

async function listen(catalog: Catalog) {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(catalog, req, res).catch((error: unknown) =>
      reply(res, 500, { __type: 'InternalFailure', message: (error as Error).message }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () => closeServer(server, sockets),
  };
}

export async function startServiceCatalogStandIn(
  options: ServiceCatalogStandInOptions,
): Promise<ServiceCatalogStandIn> {
  const template = productTemplate(options.rules);
  const catalog: Catalog = {
    options,
    account: options.account ?? LOCAL_ACCOUNT,
    region: options.region ?? 'us-east-1',
    ids: {
      portfolioId: 'port-local00000001',
      productId: 'prod-local00000001',
      provisioningArtifactId: 'pa-local00000001',
      pathId: 'lpv3-local00000001',
    },
    template,
    registration: registrationOf(template),
    products: new Map(),
    records: new Map(),
    provisionTokens: new Map(),
    pendingResponses: new Map(),
    inFlight: new Set(),
    log: options.log ?? (() => undefined),
    baseUrl: '',
  };
  const server = await listen(catalog);
  catalog.baseUrl = server.url;
  return {
    endpoint: server.url,
    ...catalog.ids,
    template,
    products: () => [...catalog.products.values()],
    idle: async () => {
      while (catalog.inFlight.size > 0) await Promise.all([...catalog.inFlight]);
    },
    close: async () => {
      await Promise.all([...catalog.inFlight]);
      await server.close();
    },
  };
}
