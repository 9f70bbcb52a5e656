import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { parameterName, resolveTaskSecrets, type SecretStores } from '../../local/task-secrets.js';

/**
 * A task's secrets read as ECS reads them before the container starts, against the real emulator: a Secrets
 * Manager secret and SSM parameters (a SecureString decrypted) become variables; one that does not exist fails the
 * start with ECS's ResourceInitializationError naming it.
 */
describe('resolveTaskSecrets', () => {
  let emulator: RunningEmulator;
  let stores: SecretStores;
  let secretArn: string;
  const PARAMETER_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/api-key';

  beforeAll(async () => {
    emulator = await startEmulator();
    const config = emulatorClientConfig(emulator.endpoint);
    stores = { secretsManager: new SecretsManagerClient(config), ssm: new SSMClient(config) };
    const created = await stores.secretsManager.send(
      new CreateSecretCommand({ Name: 'dsenv/db-password', SecretString: 's3cret' }),
    );
    secretArn = created.ARN as string;
    await stores.ssm.send(new PutParameterCommand({ Name: '/dsenv/api-key', Value: 'key-123', Type: 'SecureString' }));
    await stores.ssm.send(new PutParameterCommand({ Name: 'plain', Value: 'top-level', Type: 'String' }));
  }, 60_000);
  afterAll(async () => {
    stores?.secretsManager.destroy();
    stores?.ssm.destroy();
    await emulator?.stop();
  });

  it('gives each named secret and parameter to the container as its variable, decrypted', async () => {
    // Act
    const variables = await resolveTaskSecrets(stores, [
      { name: 'DB_PASSWORD', valueFrom: secretArn },
      { name: 'API_KEY', valueFrom: PARAMETER_ARN },
      { name: 'PLAIN', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/plain' },
    ]);

    // Assess
    expect(secretArn).toMatch(/:secret:dsenv\/db-password-[A-Za-z0-9]{6}$/);
    expect(variables).toEqual({ DB_PASSWORD: 's3cret', API_KEY: 'key-123', PLAIN: 'top-level' });
  });

  it.each([
    [
      'a secret',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/missing-AbCdEf',
      /from asm: .*ResourceNotFound/,
    ],
    ['a parameter', 'arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/missing', /from ssm: .*ParameterNotFound/],
  ])('fails the start on %s that does not exist, naming the variable and the ARN', async (_what, valueFrom, why) => {
    // Act
    const error = (await resolveTaskSecrets(stores, [
      { name: 'API_KEY', valueFrom: PARAMETER_ARN },
      { name: 'MISSING', valueFrom },
    ]).catch((e: unknown) => e)) as Error;

    // Assess
    expect(error.message).toMatch(/^ResourceInitializationError: unable to pull secrets .*secret MISSING/);
    expect(error.message).toContain(valueFrom);
    expect(error.message).toMatch(why);
  });

  it('reads a parameter by the name its ARN gives: hierarchical names keep their slash, top-level ones have none', () => {
    expect(parameterName('arn:aws:ssm:us-east-1:123456789012:parameter/a/b/c')).toBe('/a/b/c');
    expect(parameterName('arn:aws:ssm:us-east-1:123456789012:parameter/top')).toBe('top');
    expect(parameterName('/already/a/name')).toBe('/already/a/name');
  });
});
