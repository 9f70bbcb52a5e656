import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEmulator, EmulatorCheckError, requiredPatches } from '../../local/emulator-check.js';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';

/**
 * The launcher's check of the emulator it is given: the project's extended moto passes; one started without a
 * patch is refused naming that patch (a plain moto_server and an unreachable endpoint: test/local/npm-start.test.ts).
 */
describe('checkEmulator', () => {
  let extended: RunningEmulator;
  let withoutAlb: RunningEmulator;

  beforeAll(async () => {
    [extended, withoutAlb] = await Promise.all([startEmulator(), startEmulator({ disablePatches: ['alb_dualstack'] })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([extended?.stop(), withoutAlb?.stop()]);
  });

  it('reads the required patches from the emulator extension itself', () => {
    expect(requiredPatches()).toEqual(expect.arrayContaining(['complete_stack_delete', 'alb_dualstack', 'stack_tags']));
  });

  it('accepts the extended emulator', async () => {
    await expect(checkEmulator(extended.endpoint)).resolves.toBeUndefined();
  });

  it('refuses an emulator running without a patch, naming it and how to run the right one', async () => {
    const error = await checkEmulator(withoutAlb.endpoint).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmulatorCheckError);
    expect((error as Error).message).toMatch(/without the patches alb_dualstack\b/);
    expect((error as Error).message).not.toMatch(/complete_stack_delete/);
    expect((error as Error).message).toContain('python3 local/emulator/server.py');
  });
});
