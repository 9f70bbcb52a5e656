import { Duration, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  type JsonSchema,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type Model,
  type RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import * as z from 'zod/mini';
import { CreateEnvironmentBody, UpdateEnvironmentBody } from '../../functions/schemas/api.js';
import type { BlueprintStore } from './blueprint-store.js';
import type { Expiry } from './expiry.js';
import { HouseFunction } from './house-function.js';
import type { Registry } from './registry.js';

export interface EnvironmentsApiProps {
  readonly registry: Registry;
  readonly stateMachine: IStateMachine;
  readonly expiry: Expiry;
  readonly blueprints: BlueprintStore;
  /** Image an environment runs when the request names none. */
  readonly defaultImageUri: string;
  readonly ttl: { readonly defaultMinutes: number; readonly minMinutes: number; readonly maxMinutes: number };
  readonly maxLifetimeMinutes: number;
  readonly maxActivePerOwner: number;
  readonly regionCapacity: number;
  /** What a service may use: pull-through cache prefixes and secret ARN prefixes (comma-joined into the env). */
  readonly service: { readonly pullThroughPrefixes: readonly string[]; readonly secretPrefixes: readonly string[] };
  /** Largest estimated cost of one environment over its lifetime (USD). */
  readonly maxEstimatedCostUsd: number;
  /**
   * IAM principals allowed to invoke the API, enforced by a resource policy.
   * @default [] - any principal of the account whose IAM policy allows execute-api:Invoke
   */
  readonly allowedPrincipals?: readonly string[];
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: RetentionDays;
}

/** A Zod schema of functions/schemas/api.ts as the API Gateway model (JSON Schema draft 4). */
function modelSchema(schema: z.ZodMiniType, title: string): JsonSchema {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-4' }) as Record<string, unknown>;
  return { ...(jsonSchema as JsonSchema), schema: JsonSchemaVersion.DRAFT4, title };
}

/**
 * The environments REST API: IAM-authorised on every method, bodies validated against the same
 * schemas the handlers use, throttled and access-logged, one function per route.
 */
export class EnvironmentsApi extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;
  readonly functions: {
    readonly create: HouseFunction;
    readonly get: HouseFunction;
    readonly list: HouseFunction;
    readonly delete: HouseFunction;
    readonly update: HouseFunction;
    readonly events: HouseFunction;
  };

  constructor(scope: Construct, id: string, props: EnvironmentsApiProps) {
    super(scope, id);
    this.functions = this.createFunctions(props);
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.api = this.createRestApi(props);
    this.addRoutes(this.functions);
    acknowledgeApiFindings(this.api);
  }

  /**
   * One function per route, each with exactly what its code reads (functions/shared/api-config.ts reads a value when
   * it is used); test/cdk/function-contract.test.ts runs every handler with only its function's variables and
   * permissions.
   */
  private createFunctions(props: EnvironmentsApiProps): EnvironmentsApi['functions'] {
    const { registry, stateMachine, expiry } = props;
    const create = this.createFunction(props);
    const get = this.apiFunction(props, 'GetFunction', 'get-environment.ts', 'GET /environments/{id}').useTable(
      registry.table,
      'read',
    );
    const list = this.apiFunction(props, 'ListFunction', 'list-environments.ts', 'GET /environments').useTable(
      registry.table,
      'read',
    );

    // Deleting the expiry schedule needs only its group (no target, no role to pass).
    const remove = this.apiFunction(props, 'DeleteFunction', 'delete-environment.ts', 'DELETE /environments/{id}')
      .useTable(registry.table)
      .useStateMachine(stateMachine);
    expiry.allowDeleteSchedules(remove);
    expiry.allowCancelWarnings(remove);

    const update = withTtl(
      this.apiFunction(props, 'UpdateFunction', 'update-environment.ts', 'PATCH /environments/{id}'),
      props.ttl,
    )
      .useTable(registry.table)
      .withEnv('MAX_LIFETIME_MINUTES', props.maxLifetimeMinutes);
    // An extension updates the estimate and must stay within the limit.
    props.blueprints.useCostModel(update, props.maxEstimatedCostUsd);
    // The schedule moves to the new expiry, or is created again when it is gone.
    expiry.allowManageSchedules(update, ['UpdateSchedule', 'CreateSchedule']);
    expiry.allowManageWarnings(update);
    const events = this.apiFunction(
      props,
      'EventsFunction',
      'list-environment-events.ts',
      'GET /environments/{id}/events',
    ).useTable(registry.table, 'read');
    return { create, get, list, delete: remove, update, events };
  }

  /** POST /environments: the quota, capacity and cost checks, the execution and the expiry schedule. */
  private createFunction(props: EnvironmentsApiProps): HouseFunction {
    const { registry, stateMachine, expiry } = props;
    const create = withTtl(
      this.apiFunction(props, 'CreateFunction', 'create-environment.ts', 'POST /environments'),
      props.ttl,
    )
      .useTable(registry.table)
      .useIdempotencyTable(registry.idempotencyTable)
      .useStateMachine(stateMachine)
      .withEnv('DEFAULT_IMAGE_URI', props.defaultImageUri)
      .withEnv('MAX_ACTIVE_PER_OWNER', props.maxActivePerOwner)
      .withEnv('REGION_CAPACITY', props.regionCapacity)
      .withEnv('BLUEPRINT_NAME', props.blueprints.blueprintName)
      .withEnv('BLUEPRINT_VERSION', props.blueprints.version)
      .withEnv('SERVICE_PULL_THROUGH_PREFIXES', props.service.pullThroughPrefixes.join(','))
      .withEnv('SERVICE_SECRET_PREFIXES', props.service.secretPrefixes.join(','))
      // The capacity check counts the region's VPCs and egress-only internet gateways.
      .allow(
        ['ec2:DescribeVpcs', 'ec2:DescribeEgressOnlyInternetGateways'],
        ['*'],
        'EC2 Describe* calls do not support resource-level permissions; the capacity check counts every VPC and ' +
          'egress-only internet gateway of the region.',
      );
    props.blueprints.useCostModel(create, props.maxEstimatedCostUsd);
    // The expiry schedule is created with the environment, and deleted again when the creation fails.
    expiry.allowManageSchedules(create, ['CreateSchedule', 'DeleteSchedule']);
    expiry.allowManageWarnings(create);
    return create;
  }

  /** A house function whose handler is `functions/api/<file>`. */
  private apiFunction(
    props: Pick<EnvironmentsApiProps, 'logRetention'>,
    fnId: string,
    file: string,
    description: string,
  ): HouseFunction {
    return new HouseFunction(this, fnId, {
      entry: `functions/api/${file}`,
      description,
      logRetention: props.logRetention,
      timeout: Duration.seconds(15),
    });
  }

  /** The REST API: IAM on every method, the v1 stage throttled, traced and access-logged. */
  private createRestApi(props: EnvironmentsApiProps): RestApi {
    const allowedPrincipals = props.allowedPrincipals ?? [];
    return new RestApi(this, 'Api', {
      description: 'Self-service dual-stack environments',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
      policy: allowedPrincipals.length > 0 ? restrictToPrincipals(allowedPrincipals) : undefined,
    });
  }

  /** The routes, each to its function; bodies are validated against the handlers' schemas. */
  private addRoutes(functions: EnvironmentsApi['functions']): void {
    const bodyValidator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'body',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const model = (modelId: string, schema: z.ZodMiniType) =>
      this.api.addModel(modelId, {
        contentType: 'application/json',
        modelName: modelId,
        schema: modelSchema(schema, modelId),
      });
    const withBody = (validator: RequestValidator, bodyModel: Model) => ({
      requestValidator: validator,
      requestModels: { 'application/json': bodyModel },
    });

    const environments = this.api.root.addResource('environments');
    environments.addMethod(
      'POST',
      new LambdaIntegration(functions.create),
      withBody(bodyValidator, model('CreateEnvironmentBody', CreateEnvironmentBody)),
    );
    environments.addMethod('GET', new LambdaIntegration(functions.list));
    const environment = environments.addResource('{id}');
    environment.addMethod('GET', new LambdaIntegration(functions.get));
    environment.addMethod('DELETE', new LambdaIntegration(functions.delete));
    environment.addMethod(
      'PATCH',
      new LambdaIntegration(functions.update),
      withBody(bodyValidator, model('UpdateEnvironmentBody', UpdateEnvironmentBody)),
    );
    environment.addResource('events').addMethod('GET', new LambdaIntegration(functions.events));
  }
}

/** The TTL bounds a function checks a request against. */
function withTtl(fn: HouseFunction, ttl: EnvironmentsApiProps['ttl']): HouseFunction {
  return fn
    .withEnv('DEFAULT_TTL_MINUTES', ttl.defaultMinutes)
    .withEnv('MIN_TTL_MINUTES', ttl.minMinutes)
    .withEnv('MAX_TTL_MINUTES', ttl.maxMinutes);
}

/** The cdk-nag findings the API answers by design, each with its reason. */
function acknowledgeApiFindings(api: RestApi): void {
  Validations.of(api).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason:
        'Every method requires SigV4 (AWS_IAM) and the stage is throttled; a WAF web ACL adds cost without a ' +
        'threat model that needs it for an internal, authenticated API.',
    },
    {
      id: 'AwsSolutions::AwsSolutions-APIG6',
      reason:
        'Access logging is on. Execution logging needs the account-wide API Gateway CloudWatch role, which this ' +
        'stack deliberately does not own (cloudWatchRole: false).',
    },
    {
      id: 'AwsSolutions::AwsSolutions-COG4',
      reason: 'Callers are IAM principals: every method uses AWS_IAM authorization instead of a Cognito user pool.',
    },
  );
}

/** Resource policy: only the listed principals may invoke; everyone else is denied explicitly. */
function restrictToPrincipals(principals: readonly string[]): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: principals.map((arn) => new ArnPrincipal(arn)),
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': [...principals] } },
      }),
    ],
  });
}
