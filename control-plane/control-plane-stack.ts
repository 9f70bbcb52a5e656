import path from 'node:path';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type ControlPlaneConfig, REPO_ROOT } from './config.js';
import { EnvironmentsApi, type EnvironmentsApiProps } from './constructs/api.js';
import { BlueprintStore } from './constructs/blueprint-store.js';
import { Catalog, type CatalogProps } from './constructs/catalog.js';
import { CloudFormationRole } from './constructs/cloudformation-role.js';
import { Expiry } from './constructs/expiry.js';
import { HouseFunction } from './constructs/house-function.js';
import { Ipv6Prober } from './constructs/ipv6-prober.js';
import { LifecycleEvents } from './constructs/lifecycle-events.js';
import { Monitoring } from './constructs/monitoring.js';
import { Provisioner } from './constructs/provisioner.js';
import { Registry } from './constructs/registry.js';

export interface ControlPlaneStackProps extends StackProps {
  /** Validated `dsenv` context (control-plane/config.ts). */
  readonly config: ControlPlaneConfig;
}

/** The props the API and the catalog share. */
type EngineProps = Omit<EnvironmentsApiProps, 'allowedPrincipals' | 'throttle'> &
  Omit<CatalogProps, 'startTeardown' | 'sweeper' | 'principals'>;

/** The control plane: it only composes the constructs, wiring each one's outputs into the next. */
export class ControlPlaneStack extends Stack {
  readonly registry: Registry;
  readonly blueprints: BlueprintStore;
  readonly cloudFormationRole: CloudFormationRole;
  readonly provisioner: Provisioner;
  readonly prober: Ipv6Prober;
  readonly expiry: Expiry;
  readonly api: EnvironmentsApi;
  readonly catalog: Catalog;
  readonly lifecycleEvents: LifecycleEvents;
  readonly monitoring: Monitoring;
  private probeImageAsset?: DockerImageAsset;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.registry = new Registry(this, 'Registry', { deletionProtection: config.registryDeletionProtection });
    this.blueprints = new BlueprintStore(this, 'Blueprints');
    this.cloudFormationRole = new CloudFormationRole(this, 'CloudFormationRole', { blueprints: this.blueprints });

    this.prober = new Ipv6Prober(this, 'Ipv6Prober', { logRetention });
    this.provisioner = new Provisioner(this, 'Provisioner', {
      registry: this.registry,
      blueprints: this.blueprints,
      cloudFormationRole: this.cloudFormationRole.role,
      ipv6Prober: this.prober.function,
      heartbeatSeconds: config.heartbeatSeconds,
      stackTimeoutMinutes: config.stackTimeoutMinutes,
      maxTeardownAttempts: config.maxTeardownAttempts,
      logRetention,
    });

    this.expiry = this.createExpiry(config, logRetention);

    const engine = this.engineProps(config, logRetention);
    this.api = new EnvironmentsApi(this, 'Api', {
      ...engine,
      allowedPrincipals: config.allowedPrincipals,
      throttle: config.apiThrottle,
    });
    // The same engine behind a Service Catalog product (README, "Service Catalog").
    this.catalog = new Catalog(this, 'Catalog', {
      ...engine,
      startTeardown: this.provisioner.functions.startTeardown,
      sweeper: this.expiry.sweeper,
      principals: config.catalogPrincipals,
    });

    this.lifecycleEvents = new LifecycleEvents(this, 'LifecycleEvents', { registry: this.registry, logRetention });

    // Last: it watches every function composed above.
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: this.provisioner.stateMachine,
      functions: this.houseFunctions(),
      apiStage: this.api.api.deploymentStage,
    });
    this.addOutputs();
  }

  /** Expiry schedules, warnings and the sweeper; the teardown deletes an environment's schedules. */
  private createExpiry(config: ControlPlaneConfig, logRetention: RetentionDays): Expiry {
    const expiry = new Expiry(this, 'Expiry', {
      registry: this.registry,
      stateMachine: this.provisioner.stateMachine,
      stuckAfterMinutes: config.stuckAfterMinutes,
      warningMinutes: config.expiryWarningMinutes,
      logRetention,
    });
    expiry.allowDeleteSchedules(this.provisioner.functions.startTeardown);
    expiry.allowCancelWarnings(this.provisioner.functions.startTeardown);
    expiry.grantSweeperRepairs(this.cloudFormationRole.role);
    return expiry;
  }

  /** What the API and the catalog share: the engine they hand environments to, and the same rules. */
  private engineProps(config: ControlPlaneConfig, logRetention: RetentionDays): EngineProps {
    return {
      registry: this.registry,
      stateMachine: this.provisioner.stateMachine,
      expiry: this.expiry,
      blueprints: this.blueprints,
      defaultImageUri: config.probeImage ?? this.probeImage().imageUri,
      ttl: config.ttl,
      maxLifetimeMinutes: config.maxLifetimeMinutes,
      maxActivePerOwner: config.maxActivePerOwner,
      regionCapacity: config.regionCapacity,
      service: config.service,
      maxEstimatedCostUsd: config.maxEstimatedCostUsd,
      logRetention,
    };
  }

  /** What an operator or a client needs from the deployed stack. */
  private addOutputs(): void {
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the environments API' });
    new CfnOutput(this, 'StateMachineArn', { value: this.provisioner.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RegistryTableName', { value: this.registry.table.tableName });
    new CfnOutput(this, 'BlueprintBaseUrl', { value: this.blueprints.baseUrl });
    new CfnOutput(this, 'EventBusName', {
      value: this.lifecycleEvents.bus.eventBusName,
      description: 'EventBridge bus of the lifecycle events (source dsenv)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.alarmTopic.topicArn,
      description: 'SNS topic of the control-plane alarms (subscribe the platform team)',
    });
  }

  /** Every house function of the stack, named by its construct path (`Provisioner/CreateStackFunction` → …). */
  private houseFunctions(): Record<string, HouseFunction> {
    const functions = this.node.findAll().filter((c): c is HouseFunction => c instanceof HouseFunction);
    return Object.fromEntries(functions.map((fn) => [fn.node.path.split('/').slice(1).join(''), fn]));
  }

  /** The probe image built from probe-app/ (staged at synth, built and pushed by `cdk deploy`). */
  private probeImage(): DockerImageAsset {
    this.probeImageAsset ??= new DockerImageAsset(this, 'ProbeImage', {
      directory: path.join(REPO_ROOT, 'probe-app'),
      // Matches the blueprint's task definition (RuntimePlatform X86_64).
      platform: Platform.LINUX_AMD64,
    });
    return this.probeImageAsset;
  }
}
