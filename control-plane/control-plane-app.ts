import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config.js';
import { ControlPlaneStack } from './control-plane-stack.js';

/** Construct id (and default CloudFormation stack name) of the control plane. */
export const CONTROL_PLANE_STACK_ID = 'DsenvControlPlane';

export interface CreateControlPlaneOptions {
  /**
   * Run the cdk-nag AwsSolutions checks at synth (violations fail the synth).
   * @default true
   */
  readonly nag?: boolean;
}

/**
 * Builds the control plane into `app`: reads the `dsenv` context, creates the stack and registers
 * cdk-nag. Shared by `control-plane/app.ts` (the CDK CLI), the tests and local mode.
 */
export function createControlPlane(app: App, options: CreateControlPlaneOptions = {}): ControlPlaneStack {
  const config = readConfig(app.node);
  const stack = new ControlPlaneStack(app, CONTROL_PLANE_STACK_ID, {
    config,
    description: 'dsenv control plane: self-service dual-stack environments',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
