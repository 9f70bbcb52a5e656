import { createHash } from 'node:crypto';
import {
  SearchProvisionedProductsCommand,
  type ServiceCatalogClient,
  TerminateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import { type RegistrationEvent, RegistrationProperties, type RegistrationResponse } from '../schemas/catalog.js';
import { ENVIRONMENT_NAME_PATTERN, type Environment, type EnvironmentView } from '../schemas/environment.js';
import { ServiceSpec } from '../schemas/service.js';
import { ConflictError, ControlPlaneError, ForbiddenError, InputValidationError } from '../shared/errors.js';
import { deleteEnvironment, type EnvironmentsDeps, extendEnvironment, registerEnvironment } from './environments.js';
import { ENVIRONMENT_ID_PATTERN, environmentIdFrom } from './naming.js';
import { translateAwsError } from './registry.js';
import { serviceFromParameters } from './service-parameters.js';
import { assertServiceAllowed } from './service-rules.js';
import { type CloudFormationPort, describeStack, truncate } from './stacks.js';

/**
 * Service Catalog as a second door into the same lifecycle. The product's template holds one
 * `Custom::EnvironmentRegistration`; CloudFormation calls the registration function with its events:
 * - Create (a launch): registers the environment (source `service-catalog`, the launching principal as owner), its
 *   expiry schedule and the provision execution, exactly as `POST /environments` does;
 * - Update (a product update): a new `TtlMinutes` extends it as `PATCH` does;
 * - Delete (a termination from the catalog): starts the same teardown as `DELETE` does.
 * When the control plane tears a catalog environment down (expiry, `DELETE`, failure), StartTeardown terminates
 * the provisioned product, whose Delete event then finds the environment already being torn down.
 */

/** Tags Service Catalog puts on a provisioned product's stack (`aws:` tags cannot be set by anyone else). */
export const TAG_PROVISIONED_PRODUCT_ARN = 'aws:servicecatalog:provisionedProductArn';
export const TAG_PROVISIONING_PRINCIPAL_ARN = 'aws:servicecatalog:provisioningPrincipalArn';

/** Logical id of the registration resource in the product template (its environment id derives from it). */
export const REGISTRATION_LOGICAL_ID = 'Registration';

export interface CatalogDeps extends EnvironmentsDeps {
  /** Reads the product stack's tags. */
  cfn: CloudFormationPort;
}

/** Who launched a product stack, and as which provisioned product. */
export interface CatalogLaunch {
  owner: string;
  provisionedProductId: string;
}

/**
 * The environment id of a registration: derived from the product stack and the resource, so that a Create event
 * delivered twice registers one environment, not two.
 */
export function catalogEnvironmentId(stackId: string, logicalResourceId: string): string {
  const digest = createHash('sha256').update(`${stackId}\0${logicalResourceId}`).digest();
  return environmentIdFrom((i) => digest[i] ?? 0);
}

/** `arn:aws:servicecatalog:<region>:<account>:stack/<product>/pp-xxxx` → `pp-xxxx`. */
export function provisionedProductIdOf(arn: string): string | undefined {
  const id = arn.split('/').pop();
  return id !== undefined && /^pp-[a-z0-9]+$/i.test(id) ? id : undefined;
}

/**
 * The launching principal and the provisioned product, read from the Service Catalog tags of the product stack.
 * A stack without them was not launched from the catalog: ForbiddenError (nothing is registered).
 */
export async function catalogLaunchOf(cfn: CloudFormationPort, stackId: string): Promise<CatalogLaunch> {
  const stack = await describeStack(cfn, stackId);
  const tags = new Map((stack?.Tags ?? []).map((t) => [t.Key, t.Value]));
  const owner = tags.get(TAG_PROVISIONING_PRINCIPAL_ARN);
  const provisionedProductId = provisionedProductIdOf(tags.get(TAG_PROVISIONED_PRODUCT_ARN) ?? '');
  if (!owner || provisionedProductId === undefined) {
    throw new ForbiddenError(
      `stack ${stackId} was not launched from Service Catalog (its aws:servicecatalog tags are missing)`,
    );
  }
  return { owner, provisionedProductId };
}

/** JSON with keys sorted: a stored record's key order is not the request's. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
  );

/** The product's service parameters, checked as a request's `service` is (schema, then the platform's rules). */
function parseService(deps: Pick<CatalogDeps, 'config'>, raw: Record<string, unknown>): ServiceSpec | undefined {
  const fields = serviceFromParameters(raw);
  if (fields === undefined) return undefined;
  const parsed = ServiceSpec.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['service', ...(issue?.path.map(String) ?? [])].join('.');
    const message = issue?.message ?? 'invalid';
    throw new InputValidationError(message.startsWith('service.') ? message : `${field}: ${message}`);
  }
  assertServiceAllowed(deps.config.serviceRules, parsed.data);
  return parsed.data;
}

/** The product's parameters, checked with the API's rules (name pattern, TTL bounds, the service's fields). */
export function parseRegistration(
  deps: Pick<CatalogDeps, 'config'>,
  raw: Record<string, unknown>,
): { name: string; ttlMinutes: number; service?: ServiceSpec } {
  const parsed = RegistrationProperties.safeParse(raw);
  if (!parsed.success) throw new InputValidationError('EnvironmentName and TtlMinutes are required');
  const name = parsed.data.EnvironmentName;
  if (!ENVIRONMENT_NAME_PATTERN.test(name)) {
    throw new InputValidationError(`EnvironmentName must match ${ENVIRONMENT_NAME_PATTERN.source}`);
  }
  const ttlMinutes = Number(parsed.data.TtlMinutes);
  const { minTtlMinutes, maxTtlMinutes } = deps.config;
  if (!Number.isInteger(ttlMinutes) || ttlMinutes < minTtlMinutes || ttlMinutes > maxTtlMinutes) {
    throw new InputValidationError(`TtlMinutes must be an integer between ${minTtlMinutes} and ${maxTtlMinutes}`);
  }
  const service = parseService(deps, raw);
  return service === undefined ? { name, ttlMinutes } : { name, ttlMinutes, service };
}

/**
 * A launch (Create): registers the environment as `POST /environments` does (`registerEnvironment`: quotas, the
 * record, the expiry schedule and the provision execution, each undone when a later one fails), as the launching
 * principal's, with the product's TTL and the default image. A repeated Create of the same stack answers with the
 * environment it registered the first time.
 */
export async function registerCatalogLaunch(
  deps: CatalogDeps,
  request: { stackId: string; logicalResourceId: string; properties: Record<string, unknown> },
): Promise<Environment> {
  const { name, ttlMinutes, service } = parseRegistration(deps, request.properties);
  const launch = await catalogLaunchOf(deps.cfn, request.stackId);
  const id = catalogEnvironmentId(request.stackId, request.logicalResourceId);
  const existing = await deps.registry.get(id);
  if (existing !== undefined) {
    if (existing.provisionedProductId === launch.provisionedProductId) return existing;
    throw new ConflictError(`environment ${id} already belongs to another provisioned product`);
  }
  return registerEnvironment(deps, {
    id,
    name,
    owner: launch.owner,
    ttlMinutes,
    imageUri: deps.config.defaultImageUri,
    ...(service === undefined ? {} : { service }),
    source: 'service-catalog',
    provisionedProductId: launch.provisionedProductId,
  });
}

/** The registered environment of a product stack, or undefined when the id is not one (a failed Create's id). */
async function registeredEnvironment(
  deps: CatalogDeps,
  stackId: string,
  environmentId: string,
): Promise<Environment | undefined> {
  if (!ENVIRONMENT_ID_PATTERN.test(environmentId)) return undefined;
  const environment = await deps.registry.get(environmentId);
  if (environment === undefined) return undefined;
  const launch = await catalogLaunchOf(deps.cfn, stackId);
  if (environment.source !== 'service-catalog' || environment.provisionedProductId !== launch.provisionedProductId) {
    throw new ForbiddenError(`environment ${environmentId} is not registered by this provisioned product`);
  }
  return environment;
}

/** A product update (Update): a new `TtlMinutes` extends the environment like `PATCH`; the name cannot change. */
export async function updateCatalogLaunch(
  deps: CatalogDeps,
  request: {
    stackId: string;
    environmentId: string;
    properties: Record<string, unknown>;
    oldProperties: Record<string, unknown>;
  },
): Promise<EnvironmentView> {
  const next = parseRegistration(deps, request.properties);
  const environment = await registeredEnvironment(deps, request.stackId, request.environmentId);
  if (environment === undefined) throw new ConflictError(`environment ${request.environmentId} is not registered`);
  if (next.name !== environment.name) {
    throw new InputValidationError('EnvironmentName cannot change; launch a new product instead');
  }
  if (canonical(next.service) !== canonical(environment.service)) {
    throw new InputValidationError('the service parameters cannot change; launch a new product instead');
  }
  if (String(request.oldProperties.TtlMinutes) === String(request.properties.TtlMinutes)) return environment;
  return extendEnvironment(deps, environment.owner, environment.id, next.ttlMinutes);
}

/**
 * A termination from the catalog (Delete): the same teardown as `DELETE /environments/{id}` (`deleteEnvironment`),
 * with reason `catalog-terminated`. An environment already being torn down (the control plane terminated the
 * product) or already gone is left as it is.
 */
export async function releaseCatalogLaunch(
  deps: CatalogDeps,
  request: { stackId: string; environmentId: string },
): Promise<EnvironmentView | undefined> {
  const environment = await registeredEnvironment(deps, request.stackId, request.environmentId);
  if (environment === undefined) return undefined;
  return deleteEnvironment(deps, environment.owner, environment.id, 'catalog-terminated');
}

/** What became of a TerminateProvisionedProduct. */
export type TerminationOutcome = 'not-from-catalog' | 'terminating' | 'already-terminating' | 'gone';

/** One token per environment: a repeated call while the termination runs is the same request. */
export function terminateToken(environmentId: string): string {
  return `${environmentId}-terminate`;
}

/**
 * The sweeper's token for a leftover product: new after each record of the product, so a termination that failed
 * (the teardown's, or an earlier sweep's) is really tried again instead of answered with the failed record.
 */
export function sweepTerminateToken(environmentId: string, lastRecordId: string | undefined): string {
  return `${environmentId}-sweep-${lastRecordId ?? 'none'}`;
}

/**
 * Terminates the provisioned product of a catalog environment, so the catalog shows nothing stale once the control
 * plane tears it down. A product already terminating (the catalog started it) or already gone is fine; throttling
 * and server errors become ThrottledError/TransientError (the state machine retries), anything else is thrown.
 */
export async function terminateProvisionedProduct(
  serviceCatalog: Pick<ServiceCatalogClient, 'send'>,
  environment: Environment,
): Promise<TerminationOutcome> {
  if (environment.source !== 'service-catalog' || environment.provisionedProductId === undefined) {
    return 'not-from-catalog';
  }
  try {
    await serviceCatalog.send(
      new TerminateProvisionedProductCommand({
        ProvisionedProductId: environment.provisionedProductId,
        TerminateToken: terminateToken(environment.id),
        IgnoreErrors: false,
      }),
    );
    return 'terminating';
  } catch (error) {
    const name = (error as { name?: string } | undefined)?.name;
    if (name === 'ResourceNotFoundException') return 'gone';
    if (name === 'InvalidStateException') return 'already-terminating';
    return translateAwsError(error, `terminate provisioned product ${environment.provisionedProductId}`);
  }
}

/** A provisioned product as the sweeper needs it (SearchProvisionedProducts' attributes). */
export interface ProvisionedProductSummary {
  id: string;
  status: string;
  /** The product's CloudFormation stack (`PhysicalId`). */
  stackId?: string;
  /** Its latest record (launch, update or termination). */
  lastRecordId?: string;
}

export interface CatalogProductsPort {
  /** Every provisioned product of the account (all pages). */
  list(): Promise<ProvisionedProductSummary[]>;
  /** TerminateProvisionedProduct; `ignoreErrors` when the product's own stack is gone already. */
  terminate(provisionedProductId: string, token: string, ignoreErrors: boolean): Promise<void>;
}

/**
 * The account's provisioned products and their termination, over the Service Catalog API (the sweeper's port).
 * Listed at account level (the control plane's role sees every user's products), all pages.
 */
export function catalogProducts(serviceCatalog: Pick<ServiceCatalogClient, 'send'>): CatalogProductsPort {
  return {
    list: async () => {
      const found: ProvisionedProductSummary[] = [];
      let token: string | undefined;
      do {
        const page = await serviceCatalog.send(
          new SearchProvisionedProductsCommand({
            AccessLevelFilter: { Key: 'Account', Value: 'self' },
            PageToken: token,
          }),
        );
        for (const p of page.ProvisionedProducts ?? []) {
          if (p.Id === undefined) continue;
          found.push({
            id: p.Id,
            status: p.Status ?? 'UNKNOWN',
            ...(p.PhysicalId ? { stackId: p.PhysicalId } : {}),
            ...(p.LastRecordId ? { lastRecordId: p.LastRecordId } : {}),
          });
        }
        token = page.NextPageToken || undefined;
      } while (token !== undefined);
      return found;
    },
    terminate: async (provisionedProductId, token, ignoreErrors) => {
      await serviceCatalog.send(
        new TerminateProvisionedProductCommand({
          ProvisionedProductId: provisionedProductId,
          TerminateToken: token,
          IgnoreErrors: ignoreErrors,
        }),
      );
    },
  };
}

/** Longest reason CloudFormation shows (its limit is 4 KB for the whole response). */
const MAX_REASON = 400;

/**
 * Answers one CloudFormation event of the registration resource; never throws. Client errors (bad parameters,
 * quotas, conflicts) are shown to the catalog user as they are; anything else says only where to look.
 */
export async function answerRegistrationEvent(
  deps: CatalogDeps,
  event: RegistrationEvent,
  logStream: string,
): Promise<RegistrationResponse> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  // A failed Create answers with an id that is no environment; its rollback Delete then succeeds at once.
  let physicalId = event.RequestType === 'Create' ? `registration-failed-${event.RequestId}` : event.PhysicalResourceId;
  try {
    let environment: EnvironmentView | undefined;
    if (event.RequestType === 'Create') {
      environment = await registerCatalogLaunch(deps, {
        stackId: event.StackId,
        logicalResourceId: event.LogicalResourceId,
        properties: event.ResourceProperties,
      });
      physicalId = environment.id;
    } else if (event.RequestType === 'Update') {
      environment = await updateCatalogLaunch(deps, {
        stackId: event.StackId,
        environmentId: event.PhysicalResourceId,
        properties: event.ResourceProperties,
        oldProperties: event.OldResourceProperties,
      });
    } else {
      environment = await releaseCatalogLaunch(deps, {
        stackId: event.StackId,
        environmentId: event.PhysicalResourceId,
      });
    }
    const data = environment === undefined ? undefined : dataOf(environment);
    return { Status: 'SUCCESS', PhysicalResourceId: physicalId, ...base, ...(data ? { Data: data } : {}) };
  } catch (error) {
    const clientError = error instanceof ControlPlaneError && error.statusCode < 500;
    const context = { requestType: event.RequestType, stackId: event.StackId };
    // A bad parameter or a quota is the catalog user's to fix (they see the reason); anything else the operator's.
    if (clientError) deps.logger.warn(`registration event refused: ${error.message}`, context);
    else deps.logger.error('registration event failed', { ...context, error });
    const reason = clientError
      ? error.message
      : `internal error; see log stream ${logStream} of the registration function`;
    return { Status: 'FAILED', Reason: truncate(reason, MAX_REASON), PhysicalResourceId: physicalId, ...base };
  }
}

/** The resource's attributes: what the product's outputs show the catalog user. */
function dataOf(environment: EnvironmentView): Record<string, string> {
  return { EnvironmentId: environment.id, Owner: environment.owner, ExpiresAt: environment.expiresAt };
}
