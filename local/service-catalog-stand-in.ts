import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import {
  addRegistrationProductContent,
  type ProductParameterRules,
  REGISTRATION_RESOURCE_TYPE,
} from '../control-plane/constructs/catalog.js';
import { closeServer } from './loopback.js';

/**
 * Stand-in for Service Catalog's provisioning, which the emulator does not implement (moto 5.2.1 has
 * ProvisionProduct/TerminateProvisionedProduct unimplemented and runs no custom resources). It answers the
 * catalog's JSON API for one product and does what the catalog and CloudFormation would:
 * - ProvisionProduct: deploys the product template to the emulator as the product stack `SC-<account>-pp-<id>`,
 *   with the launch's parameters and the catalog's `aws:servicecatalog:*` tags, then sends the
 *   `Custom::EnvironmentRegistration` its Create event (the emulator cannot: the resource is left out of the stack
 *   it deploys) and waits for the answer at a ResponseURL of its own;
 * - TerminateProvisionedProduct: sends the registration its Delete event, then deletes the product stack;
 * - DescribeProvisionedProduct and ScanProvisionedProducts: the products and their status.
 * The caller is the `X-Principal` header (default `local-user`), like the API stand-in.
 */
export interface ServiceCatalogStandInOptions {
  readonly cloudFormation: CloudFormationClient;
  /** Runs the registration function with a CloudFormation custom-resource event. */
  readonly invokeRegistration: (event: unknown) => Promise<unknown>;
  /** Bounds of the product's parameters. */
  readonly rules: ProductParameterRules;
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** How long CloudFormation waits for a custom resource's answer. @default 60000 */
  readonly responseTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

type ProductStatus = 'UNDER_CHANGE' | 'AVAILABLE' | 'ERROR' | 'TERMINATED';

export interface LocalProvisionedProduct {
  readonly id: string;
  readonly name: string;
  readonly principal: string;
  status: ProductStatus;
  statusMessage?: string;
  stackId?: string;
  outputs: Record<string, string>;
  /** Physical id of the registration (the environment id once registered). */
  physicalResourceId?: string;
  terminateToken?: string;
  readonly createdTime: Date;
}

export interface ServiceCatalogStandIn {
  /** For `AWS_ENDPOINT_URL_SERVICE_CATALOG`. */
  readonly endpoint: string;
  readonly productId: string;
  readonly provisioningArtifactId: string;
  /** The product template, as the catalog holds it. */
  readonly template: ProductTemplate;
  /** Every provisioned product, terminated ones included. */
  products(): readonly LocalProvisionedProduct[];
  /** Resolves when nothing is being provisioned or terminated. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface ProductTemplate {
  Parameters?: Record<string, { Default?: unknown }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

class CatalogError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The product template the control plane publishes, with the given parameter bounds. */
export function productTemplate(rules: ProductParameterRules): ProductTemplate {
  const app = new App();
  // As a ProductStack: no bootstrap-version parameter (an SSM parameter type the emulator cannot resolve).
  const stack = new Stack(app, 'Product', {
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  addRegistrationProductContent(stack, { ...rules, serviceToken: 'local:registration-function' });
  return app.synth().getStackByName('Product').template as ProductTemplate;
}

/** What the emulator deploys: the template without its custom resources (run here) and outputs that need them. */
function emulatorTemplate(template: ProductTemplate): ProductTemplate {
  const custom = new Set(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type.startsWith('Custom::'))
      .map(([id]) => id),
  );
  const resources = Object.fromEntries(Object.entries(template.Resources).filter(([id]) => !custom.has(id)));
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).filter(
      ([, o]) => ![...custom].some((id) => JSON.stringify(o).includes(`"${id}"`)),
    ),
  );
  return { ...template, Resources: resources, Outputs: outputs };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const lowerId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

export async function startServiceCatalogStandIn(
  options: ServiceCatalogStandInOptions,
): Promise<ServiceCatalogStandIn> {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const log = options.log ?? (() => undefined);
  const productId = 'prod-local00000001';
  const provisioningArtifactId = 'pa-local00000001';
  const template = productTemplate(options.rules);
  const registration = Object.entries(template.Resources).find(([, r]) => r.Type === REGISTRATION_RESOURCE_TYPE);
  if (!registration) throw new Error(`the product template has no ${REGISTRATION_RESOURCE_TYPE}`);
  const [registrationId, registrationResource] = registration;
  const products = new Map<string, LocalProvisionedProduct>();
  const pendingResponses = new Map<string, (body: Record<string, unknown>) => void>();
  const inFlight = new Set<Promise<void>>();
  let baseUrl = '';

  const track = (work: Promise<void>) => {
    const tracked = work.catch((error: unknown) => log(`service catalog stand-in: ${(error as Error).message}`));
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
  };

  /** Sends one custom-resource event as CloudFormation would, and waits for its answer at ResponseURL. */
  async function customResourceEvent(
    product: LocalProvisionedProduct,
    requestType: 'Create' | 'Delete',
    properties: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const requestId = randomUUID();
    const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        pendingResponses.delete(requestId);
        reject(new CatalogError('Timeout', `no answer to the ${requestType} event`));
      }, options.responseTimeoutMs ?? 60_000);
      pendingResponses.set(requestId, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
    });
    const event = {
      RequestType: requestType,
      ServiceToken: String(registrationResource.Properties?.ServiceToken ?? ''),
      ResponseURL: `${baseUrl}/cloudformation-responses/${requestId}`,
      StackId: product.stackId,
      RequestId: requestId,
      LogicalResourceId: registrationId,
      ResourceType: REGISTRATION_RESOURCE_TYPE,
      ResourceProperties: { ServiceToken: 'local:registration-function', ...properties },
      ...(requestType === 'Delete' ? { PhysicalResourceId: product.physicalResourceId } : {}),
    };
    // Lambda's asynchronous invocation: an error leaves the request unanswered (CloudFormation then times out).
    options.invokeRegistration(event).catch((error: unknown) => log(`registration ${requestType}: ${String(error)}`));
    return answered;
  }

  async function provision(product: LocalProvisionedProduct, parameters: Record<string, string>): Promise<void> {
    const stackName = `SC-${account}-${product.id}`;
    const created = await options.cloudFormation.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify(emulatorTemplate(template)),
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
          ParameterKey,
          ParameterValue,
        })),
        Tags: [
          {
            Key: 'aws:servicecatalog:portfolioArn',
            Value: `arn:aws:catalog:${region}:${account}:portfolio/port-local`,
          },
          { Key: 'aws:servicecatalog:productArn', Value: `arn:aws:catalog:${region}:${account}:product/${productId}` },
          { Key: 'aws:servicecatalog:provisioningArtifactIdentifier', Value: provisioningArtifactId },
          {
            Key: 'aws:servicecatalog:provisionedProductArn',
            Value: `arn:aws:servicecatalog:${region}:${account}:stack/${product.name}/${product.id}`,
          },
          { Key: 'aws:servicecatalog:provisioningPrincipalArn', Value: product.principal },
        ],
      }),
    );
    product.stackId = created.StackId;
    const answer = await customResourceEvent(product, 'Create', parameters);
    product.physicalResourceId = String(answer.PhysicalResourceId ?? '');
    if (answer.Status === 'SUCCESS') {
      const data = (answer.Data ?? {}) as Record<string, string>;
      product.outputs = data;
      product.status = 'AVAILABLE';
      log(`provisioned product ${product.id} available: ${data.EnvironmentId ?? '?'}`);
      return;
    }
    // A failed create rolls back: the failed resource gets its Delete, the stack goes.
    product.status = 'ERROR';
    product.statusMessage = String(answer.Reason ?? 'registration failed');
    await customResourceEvent(product, 'Delete', parameters).catch(() => undefined);
    await options.cloudFormation.send(new DeleteStackCommand({ StackName: created.StackId }));
    log(`provisioned product ${product.id} failed: ${product.statusMessage}`);
  }

  async function terminate(product: LocalProvisionedProduct): Promise<void> {
    if (product.stackId !== undefined) {
      if (product.physicalResourceId?.startsWith('env-')) {
        const answer = await customResourceEvent(product, 'Delete', {});
        if (answer.Status !== 'SUCCESS') {
          product.status = 'ERROR';
          product.statusMessage = String(answer.Reason ?? 'termination failed');
          return;
        }
      }
      await options.cloudFormation.send(new DeleteStackCommand({ StackName: product.stackId }));
    }
    product.status = 'TERMINATED';
    log(`provisioned product ${product.id} terminated`);
  }

  function detail(product: LocalProvisionedProduct) {
    return {
      Id: product.id,
      Name: product.name,
      Arn: `arn:aws:servicecatalog:${region}:${account}:stack/${product.name}/${product.id}`,
      Type: 'CFN_STACK',
      Status: product.status,
      ...(product.statusMessage ? { StatusMessage: product.statusMessage } : {}),
      CreatedTime: product.createdTime.getTime() / 1000,
      ProductId: productId,
      ProvisioningArtifactId: provisioningArtifactId,
    };
  }

  function record(product: LocalProvisionedProduct, type: string) {
    return {
      RecordDetail: {
        RecordId: lowerId('rec'),
        ProvisionedProductName: product.name,
        ProvisionedProductId: product.id,
        Status: 'CREATED',
        RecordType: type,
        ProductId: productId,
        ProvisioningArtifactId: provisioningArtifactId,
        CreatedTime: Date.now() / 1000,
      },
    };
  }

  function live(id: unknown): LocalProvisionedProduct {
    const product = typeof id === 'string' ? products.get(id) : undefined;
    if (product === undefined || product.status === 'TERMINATED') {
      throw new CatalogError('ResourceNotFoundException', `Provisioned product ${String(id)} not found`);
    }
    return product;
  }

  const operations: Record<string, (body: Record<string, unknown>, principal: string) => unknown> = {
    ProvisionProduct: (body, principal) => {
      if (body.ProductId !== productId || body.ProvisioningArtifactId !== provisioningArtifactId) {
        throw new CatalogError('ResourceNotFoundException', 'Product or provisioning artifact not found');
      }
      const name = String(body.ProvisionedProductName ?? '');
      if ([...products.values()].some((p) => p.name === name && p.status !== 'TERMINATED')) {
        throw new CatalogError('DuplicateResourceException', `A provisioned product named ${name} already exists`);
      }
      const parameters: Record<string, string> = {};
      for (const [key, spec] of Object.entries(template.Parameters ?? {})) {
        if (spec.Default !== undefined) parameters[key] = String(spec.Default);
      }
      for (const p of (body.ProvisioningParameters ?? []) as { Key: string; Value: string }[]) {
        if (!(p.Key in (template.Parameters ?? {}))) {
          throw new CatalogError('InvalidParametersException', `Unknown parameter ${p.Key}`);
        }
        parameters[p.Key] = p.Value;
      }
      const product: LocalProvisionedProduct = {
        id: lowerId('pp'),
        name,
        principal,
        status: 'UNDER_CHANGE',
        outputs: {},
        createdTime: new Date(),
      };
      products.set(product.id, product);
      track(
        provision(product, parameters).catch((error: unknown) => {
          product.status = 'ERROR';
          product.statusMessage = (error as Error).message;
        }),
      );
      return record(product, 'PROVISION_PRODUCT');
    },
    TerminateProvisionedProduct: (body) => {
      const product = live(body.ProvisionedProductId);
      if (product.terminateToken !== undefined) {
        if (product.terminateToken === body.TerminateToken) return record(product, 'TERMINATE_PROVISIONED_PRODUCT');
        throw new CatalogError(
          'InvalidStateException',
          `Provisioned product ${product.id} is already being terminated`,
        );
      }
      if (product.status === 'UNDER_CHANGE') {
        throw new CatalogError('InvalidStateException', `Provisioned product ${product.id} is under change`);
      }
      product.terminateToken = String(body.TerminateToken ?? '');
      product.status = 'UNDER_CHANGE';
      track(
        terminate(product).catch((error: unknown) => {
          product.status = 'ERROR';
          product.statusMessage = (error as Error).message;
        }),
      );
      return record(product, 'TERMINATE_PROVISIONED_PRODUCT');
    },
    DescribeProvisionedProduct: (body) => {
      const product = live(body.Id);
      return { ProvisionedProductDetail: detail(product) };
    },
    ScanProvisionedProducts: () => ({
      ProvisionedProducts: [...products.values()].filter((p) => p.status !== 'TERMINATED').map(detail),
    }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const response = /^\/cloudformation-responses\/([\w-]+)$/.exec(req.url ?? '');
    if (req.method === 'PUT' && response?.[1] !== undefined) {
      const resolve = pendingResponses.get(response[1]);
      pendingResponses.delete(response[1]);
      resolve?.(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(resolve ? 200 : 404).end();
      return;
    }
    const target =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    const operation = operations[target];
    const reply = (status: number, payload: unknown) =>
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    if (req.method !== 'POST' || operation === undefined) {
      reply(400, { __type: 'UnknownOperationException', message: `${target} is not implemented locally` });
      return;
    }
    try {
      const principal = String(req.headers['x-principal'] ?? 'local-user');
      reply(200, operation(body === '' ? {} : (JSON.parse(body) as Record<string, unknown>), principal));
    } catch (error) {
      if (!(error instanceof CatalogError)) throw error;
      reply(400, { __type: error.type, message: error.message });
    }
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: (error as Error).message }));
    });
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
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    endpoint: baseUrl,
    productId,
    provisioningArtifactId,
    template,
    products: () => [...products.values()],
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    close: async () => {
      await Promise.all([...inFlight]);
      await closeServer(server, sockets);
    },
  };
}
