import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { CONFIG_CONTEXT_KEY, type ControlPlaneConfigInput, cdkJsonContext } from '../../control-plane/config.js';
import { createControlPlane } from '../../control-plane/control-plane-app.js';
import type { ControlPlaneStack } from '../../control-plane/control-plane-stack.js';

export interface SynthOptions {
  readonly config?: Partial<ControlPlaneConfigInput>;
  /** @default false */
  readonly nag?: boolean;
}

/** Builds the control plane as `cdk synth` does (cdk.json context), without bundling, into a temp dir. */
export function buildControlPlane(options: SynthOptions = {}): { app: App; stack: ControlPlaneStack; outdir: string } {
  const base = cdkJsonContext();
  const outdir = mkdtempSync(path.join(tmpdir(), 'dsenv-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...base,
      [CONFIG_CONTEXT_KEY]: { ...(base[CONFIG_CONTEXT_KEY] as object | undefined), ...options.config },
      'aws:cdk:bundling-stacks': [],
    },
    builtinCloudFormationValidation: false,
  });
  const stack = createControlPlane(app, { nag: options.nag ?? false });
  return { app, stack, outdir };
}
