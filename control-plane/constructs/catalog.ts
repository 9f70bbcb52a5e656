import { createHash } from 'node:crypto';
import { CfnOutput, CfnParameter, type CfnResource, CustomResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  CfnPortfolioPrincipalAssociation,
  CloudFormationProduct,
  CloudFormationTemplate,
  Portfolio,
  ProductStack,
} from 'aws-cdk-lib/aws-servicecatalog';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { REGISTRATION_LOGICAL_ID } from '../../functions/domain/service-catalog.js';
import type { BlueprintStore } from './blueprint-store.js';
import type { Expiry } from './expiry.js';
import { HouseFunction } from './house-function.js';
import { acknowledgeWildcardResources } from './nag-acknowledgements.js';
import type { Registry } from './registry.js';
import { addServiceProductParameters } from './service-product-parameters.js';

/** Handler of the product's `Custom::EnvironmentRegistration` (also invoked by local mode's catalog stand-in). */
export const REGISTRATION_ENTRY = 'functions/workflow/catalog-registration.ts';
export const REGISTRATION_RESOURCE_TYPE = 'Custom::EnvironmentRegistration';
/** Logical id of the registration in the product template (the domain derives environment ids from it). */
export { REGISTRATION_LOGICAL_ID };

/** Bounds of the product's parameters: the API's rules. */
export interface ProductParameterRules {
  readonly ttl: { readonly defaultMinutes: number; readonly minMinutes: number; readonly maxMinutes: number };
}

export interface CatalogProps extends ProductParameterRules {
  readonly registry: Registry;
  readonly stateMachine: IStateMachine;
  readonly expiry: Expiry;
  readonly blueprints: BlueprintStore;
  /** The StartTeardown function: it terminates the provisioned product of a catalog environment. */
  readonly startTeardown: HouseFunction;
  /** The sweeper: it terminates provisioned products left behind by environments that are already gone. */
  readonly sweeper: HouseFunction;
  readonly defaultImageUri: string;
  readonly maxLifetimeMinutes: number;
  readonly maxActivePerOwner: number;
  readonly regionCapacity: number;
  /** What a service may use: pull-through cache prefixes and secret ARN prefixes. */
  readonly service: { readonly pullThroughPrefixes: readonly string[]; readonly secretPrefixes: readonly string[] };
  /** Largest estimated cost of one environment over its lifetime (USD). */
  readonly maxEstimatedCostUsd: number;
  /**
   * IAM principals (users, roles, groups) who may launch the product from the portfolio.
   * @default - none: the portfolio is shared with nobody until a principal is associated
   */
  readonly principals?: readonly string[];
  readonly logRetention: RetentionDays;
}

/**
 * The product's template: the parameters a catalog user fills in (name, TTL and the optional service) and one
 * registration resource whose
 * ServiceToken is the control plane's registration function (an export of the control-plane stack). The blueprint's
 * resources are not in it: the registration hands the environment to the state machine, which deploys the
 * blueprint's stack with the control plane's CloudFormation role, as for any environment (README, Service Catalog).
 */
export function addRegistrationProductContent(
  scope: Stack,
  rules: ProductParameterRules & { readonly serviceToken: string },
): void {
  const name = new CfnParameter(scope, 'EnvironmentName', {
    type: 'String',
    description: 'Name of the environment (lower-case letters, digits and hyphens, starting with a letter)',
    allowedPattern: '^[a-z][a-z0-9-]{0,30}$',
    constraintDescription: 'must match ^[a-z][a-z0-9-]{0,30}$',
  });
  const ttl = new CfnParameter(scope, 'TtlMinutes', {
    type: 'Number',
    description: 'Minutes until the environment is torn down by itself',
    default: rules.ttl.defaultMinutes,
    minValue: rules.ttl.minMinutes,
    maxValue: rules.ttl.maxMinutes,
    constraintDescription: `must be a whole number of minutes from ${rules.ttl.minMinutes} to ${rules.ttl.maxMinutes}`,
  });
  const registration = new CustomResource(scope, REGISTRATION_LOGICAL_ID, {
    serviceToken: rules.serviceToken,
    resourceType: REGISTRATION_RESOURCE_TYPE,
    properties: {
      EnvironmentName: name.valueAsString,
      TtlMinutes: ttl.valueAsString,
      ...addServiceProductParameters(scope),
    },
    // An unanswered event fails after 5 minutes instead of CloudFormation's default hour.
    serviceTimeout: Duration.minutes(5),
  });
  (registration.node.defaultChild as CfnResource).overrideLogicalId(REGISTRATION_LOGICAL_ID);
  new CfnOutput(scope, 'EnvironmentId', {
    value: registration.getAttString('EnvironmentId'),
    description: 'GET /environments/{id} of the dsenv API shows its status, outputs and validation',
  });
  new CfnOutput(scope, 'ExpiresAt', { value: registration.getAttString('ExpiresAt') });
}

class RegistrationProductStack extends ProductStack {
  constructor(scope: Construct, id: string, rules: ProductParameterRules & { readonly serviceToken: string }) {
    super(scope, id);
    addRegistrationProductContent(this, rules);
  }
}

const PRODUCT_STACKS_REASON =
  "Only Service Catalog's provisioned-product stacks (SC-<account>-pp-<id>); the wildcards are their names and ids.";

/** Service Catalog's provisioned-product stacks of this account and region. */
function productStacksArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'cloudformation', resource: 'stack', resourceName: 'SC-*/*' });
}

/**
 * The teardown of a catalog environment terminates its provisioned product; the sweeper terminates leftovers, and
 * looks whether a leftover product's stack is gone (then its termination ignores errors).
 */
function allowProductTermination(props: Pick<CatalogProps, 'startTeardown' | 'sweeper'>): void {
  const terminators: [HouseFunction, string[]][] = [
    [props.startTeardown, ['servicecatalog:TerminateProvisionedProduct']],
    [props.sweeper, ['servicecatalog:SearchProvisionedProducts', 'servicecatalog:TerminateProvisionedProduct']],
  ];
  for (const [fn, actions] of terminators) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions,
        resources: ['*'],
        conditions: { StringEquals: { 'servicecatalog:accountLevel': 'self' } },
      }),
    );
    acknowledgeWildcardResources(
      fn.executionRole,
      ['*'],
      'Provisioned-product calls have no resource-level permissions; limited to provisioned products of this account.',
    );
  }
  props.sweeper.allow(['cloudformation:DescribeStacks'], [productStacksArn(props.sweeper)], PRODUCT_STACKS_REASON);
}

/** A stable construct id per principal: reordering the list replaces nothing. */
function principalId(arn: string): string {
  return `Principal${createHash('sha256').update(arn).digest('hex').slice(0, 8)}`;
}

/**
 * The environment as a Service Catalog product, through the same engine as the API: a portfolio, a product whose
 * provisioning artifact is named after the blueprint version, a launch constraint whose role can deploy only the
 * product template (its registration resource), the principal associations, and the registration function.
 */
export class Catalog extends Construct {
  readonly portfolio: Portfolio;
  readonly product: CloudFormationProduct;
  readonly launchRole: Role;
  readonly registration: HouseFunction;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    this.registration = this.createRegistration(props);
    allowProductTermination(props);
    const serviceToken = this.exportServiceToken();
    this.product = this.createProduct(props, serviceToken);
    this.portfolio = new Portfolio(this, 'Portfolio', {
      displayName: 'dsenv environments',
      providerName: 'dsenv',
      description: 'Short-lived, verified dual-stack container environments',
    });
    this.portfolio.addProduct(this.product);
    this.launchRole = this.createLaunchRole();
    this.portfolio.setLaunchRole(this.product, this.launchRole);
    for (const principalArn of props.principals ?? []) {
      new CfnPortfolioPrincipalAssociation(this, principalId(principalArn), {
        portfolioId: this.portfolio.portfolioId,
        principalArn,
        principalType: 'IAM',
      });
    }
  }

  /** The registration function, configured with the API's rules (the same checks as POST /environments). */
  private createRegistration(props: CatalogProps): HouseFunction {
    const registration = new HouseFunction(this, 'RegistrationFunction', {
      entry: REGISTRATION_ENTRY,
      description: 'Registers, extends and releases environments launched from Service Catalog',
      logRetention: props.logRetention,
    })
      .useTable(props.registry.table)
      .useStateMachine(props.stateMachine)
      .withEnv('DEFAULT_TTL_MINUTES', props.ttl.defaultMinutes)
      .withEnv('MIN_TTL_MINUTES', props.ttl.minMinutes)
      .withEnv('MAX_TTL_MINUTES', props.ttl.maxMinutes)
      .withEnv('MAX_LIFETIME_MINUTES', props.maxLifetimeMinutes)
      .withEnv('DEFAULT_IMAGE_URI', props.defaultImageUri)
      .withEnv('MAX_ACTIVE_PER_OWNER', props.maxActivePerOwner)
      .withEnv('REGION_CAPACITY', props.regionCapacity)
      .withEnv('BLUEPRINT_NAME', props.blueprints.blueprintName)
      .withEnv('BLUEPRINT_VERSION', props.blueprints.version)
      .withEnv('SERVICE_PULL_THROUGH_PREFIXES', props.service.pullThroughPrefixes.join(','))
      .withEnv('SERVICE_SECRET_PREFIXES', props.service.secretPrefixes.join(','))
      // The region-capacity check counts VPCs and egress-only gateways.
      .allow(
        ['ec2:DescribeVpcs', 'ec2:DescribeEgressOnlyInternetGateways'],
        ['*'],
        'EC2 describe calls do not support resource-level permissions.',
      )
      // The launching principal and the provisioned product are tags of the product's stack.
      .allow(['cloudformation:DescribeStacks'], [productStacksArn(this)], PRODUCT_STACKS_REASON);
    props.expiry.allowManageSchedules(registration, ['CreateSchedule', 'UpdateSchedule', 'DeleteSchedule']);
    props.expiry.allowManageWarnings(registration);
    props.blueprints.useCostModel(registration, props.maxEstimatedCostUsd);
    return registration;
  }

  /** The registration function's ARN as an export of this stack: the product template imports it. Returns its name. */
  private exportServiceToken(): string {
    const exportName = `${Stack.of(this).stackName}-catalog-registration`;
    new CfnOutput(this, 'RegistrationServiceToken', {
      value: this.registration.functionArn,
      exportName,
      description: 'ServiceToken of the Service Catalog product template',
    });
    return exportName;
  }

  /** The product, one provisioning artifact per blueprint version. */
  private createProduct(props: CatalogProps, serviceTokenExport: string): CloudFormationProduct {
    const productStack = new RegistrationProductStack(this, 'ProductTemplate', {
      ttl: props.ttl,
      serviceToken: Fn.importValue(serviceTokenExport),
    });
    const { blueprintName, version } = props.blueprints;
    return new CloudFormationProduct(this, 'Product', {
      productName: 'dsenv dual-stack container environment',
      owner: 'dsenv',
      description: `A verified dual-stack VPC, ECS cluster and Fargate service behind a dual-stack ALB (${blueprintName}), torn down when its time to live runs out`,
      productVersions: [
        {
          productVersionName: `${blueprintName}-${version}`,
          description: `Blueprint ${blueprintName} version ${version}`,
          cloudFormationTemplate: CloudFormationTemplate.fromProductStack(productStack),
        },
      ],
    });
  }

  /** The launch constraint's role: Service Catalog deploys the product template with this role, and with it only. */
  private createLaunchRole(): Role {
    const launchRole = new Role(this, 'LaunchRole', {
      assumedBy: new ServicePrincipal('servicecatalog.amazonaws.com'),
      description: 'Launch constraint of the dsenv product: deploys the product template (its registration) only',
    });
    const productStacks = productStacksArn(this);
    launchRole.addToPolicy(
      new PolicyStatement({
        actions: [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:DeleteStack',
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:SetStackPolicy',
          'cloudformation:TagResource',
        ],
        resources: [productStacks],
      }),
    );
    launchRole.addToPolicy(
      new PolicyStatement({
        actions: ['cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate'],
        resources: ['*'],
      }),
    );
    // Service Catalog's copy of the template, which it tags for provisioning.
    launchRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: ['*'],
        conditions: { StringEquals: { 's3:ExistingObjectTag/servicecatalog:provisioning': 'true' } },
      }),
    );
    // CloudFormation invokes the registration with the launch role's credentials.
    this.registration.grantInvoke(launchRole);
    acknowledgeWildcardResources(launchRole, [productStacks], PRODUCT_STACKS_REASON);
    acknowledgeWildcardResources(
      launchRole,
      ['*'],
      'GetTemplateSummary/ValidateTemplate have no resource-level permissions; s3:GetObject is limited to objects ' +
        'Service Catalog tagged for provisioning (its copies of product templates).',
    );
    acknowledgeWildcardResources(
      launchRole,
      [`${this.registration.functionArn}:*`],
      'Invokes the registration function only; the wildcard covers its versions (added by grantInvoke).',
    );
    return launchRole;
  }
}
