import { Duration } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  GatewayVpcEndpointAwsService,
  IpProtocol,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HouseFunction } from './house-function.js';

export interface Ipv6ProberProps {
  readonly logRetention: RetentionDays;
  /**
   * Availability zones of the prober's VPC.
   * @default 2
   */
  readonly maxAzs?: number;
}

/**
 * A Lambda that can reach the internet over IPv6. A function outside a VPC has no IPv6 egress, so the state machine
 * runs this one (ProbeIpv6) before Validate: placed in a small dual-stack VPC whose private subnets leave through an
 * egress-only internet gateway (IPv6 only, no NAT gateway), it reads the environment's record from the registry
 * through a DynamoDB gateway endpoint (no charge, no internet path) and sends the checks' IPv6 requests.
 */
export class Ipv6Prober extends Construct {
  readonly vpc: Vpc;
  readonly function: HouseFunction;

  constructor(scope: Construct, id: string, props: Ipv6ProberProps) {
    super(scope, id);
    this.vpc = new Vpc(this, 'Vpc', {
      ipProtocol: IpProtocol.DUAL_STACK,
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'probe', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        rejected: {
          destination: FlowLogDestination.toCloudWatchLogs(
            new LogGroup(this, 'FlowLogs', { retention: props.logRetention }),
          ),
        },
      },
    });
    // The registry, without IPv4 egress: DynamoDB's gateway endpoint, on the probe subnets' route tables.
    this.vpc.addGatewayEndpoint('Registry', {
      service: GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [{ subnetType: SubnetType.PRIVATE_WITH_EGRESS }],
    });
    const securityGroup = new SecurityGroup(this, 'ProbeSecurityGroup', {
      vpc: this.vpc,
      description: 'IPv6 prober: outbound HTTP(S) only, no inbound',
      allowAllOutbound: true,
      allowAllIpv6Outbound: true,
    });

    this.function = new HouseFunction(this, 'Function', {
      entry: 'functions/workflow/ipv6-prober.ts',
      description: "Sends an environment's IPv6 probes from a dual-stack VPC (ProbeIpv6, before Validate)",
      logRetention: props.logRetention,
      timeout: Duration.seconds(35),
      memorySize: 256,
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      ipv6AllowedForDualStack: true,
    });
  }
}
