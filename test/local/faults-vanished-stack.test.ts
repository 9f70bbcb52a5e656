import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { assertInvariants } from './invariants.js';
import { type ApiEnvironment, call, fastLocalOptions, waitForStatus } from './local-api.js';

/**
 * Fault injection on local mode: a READY environment's stack is deleted behind the control plane's back (by hand in
 * the console, or lost). The sweeper must notice, tear the environment down and end it in a true final state that
 * says what happened; then the invariants of test/local/invariants.ts must hold.
 */
type Environment = ApiEnvironment & {
  stackId?: string;
  teardown?: { remaining: string[]; stackStatus: string };
};

describe('fault injection on local mode: a stack that vanished', () => {
  let local: LocalControlPlane;
  let cfn: CloudFormationClient;

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({
        // The test runs the sweeper itself, after the stack is gone.
        sweepIntervalMs: 600_000,
      }),
    );
    cfn = new CloudFormationClient(emulatorClientConfig(local.emulatorUrl));
  }, 120_000);
  afterAll(async () => {
    cfn?.destroy();
    await local?.stop();
  });

  async function stackStatus(stackId: string): Promise<string | undefined> {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
    return Stacks?.[0]?.StackStatus;
  }

  it('tears down a READY environment whose stack was deleted outside the control plane, ending FAILED with the reason', async () => {
    const created = await call(local.apiUrl, 'POST', '/environments', { name: 'vanished', ttlMinutes: 30 });
    expect(created.status).toBe(202);
    const id = String(created.body.id);
    const ready = (await waitForStatus(local.apiUrl, id, ['READY', 'FAILED'], 60_000)).environment as Environment;
    expect(ready.status).toBe('READY');
    const stackId = ready.stackId as string;

    await cfn.send(new DeleteStackCommand({ StackName: stackId }));
    for (let i = 0; i < 50 && (await stackStatus(stackId)) !== 'DELETE_COMPLETE'; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await stackStatus(stackId)).toBe('DELETE_COMPLETE');
    const summary = await local.sweep();

    expect(summary).toMatchObject({ stacksVanished: 1, errors: 0 });
    const settled = (await waitForStatus(local.apiUrl, id, ['DELETED', 'FAILED'], 30_000)).environment as Environment;
    expect(settled.status).toBe('FAILED');
    expect(settled.failureReason).toBe(
      `stack dsenv-${id} disappeared outside the control plane while the environment was READY`,
    );
    expect(settled.teardown).toMatchObject({ stackStatus: 'DELETE_COMPLETE', remaining: [] });
    const teardowns = local.stepFunctions
      .executions()
      .map((e) => JSON.parse(e.input) as { environmentId: string; action: string; reason?: string })
      .filter((input) => input.environmentId === id && input.action === 'teardown');
    expect(teardowns).toEqual([{ action: 'teardown', environmentId: id, reason: 'stack-vanished' }]);
    await assertInvariants(local.emulatorUrl, {
      liveEnvironmentIds: local.liveEnvironments().map((e) => e.environmentId),
    });

    // A second sweep finds nothing left to repair.
    expect(await local.sweep()).toMatchObject({ stacksVanished: 0, orphanStacksDeleted: 0, errors: 0 });
  }, 90_000);
});
