import type { Secret } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';

/**
 * What ECS does with a container's `secrets` before the container starts, against the emulator: each `valueFrom`
 * (a Secrets Manager secret or an SSM parameter, by ARN: the API accepts no JSON key or version suffix) is read
 * and given to the container as its variable (on AWS, with the task's execution role). A secret that cannot be
 * read stops the task before it starts, with ECS's `ResourceInitializationError`; the container never runs.
 */
export interface SecretStores {
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
}

/** An SSM parameter's name from its ARN (`…:parameter/a/b` is `/a/b`; `…:parameter/top` is `top`), or the name. */
export function parameterName(valueFrom: string): string {
  const match = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.+)$/.exec(valueFrom);
  if (!match) return valueFrom;
  const name = match[1] as string;
  return name.split('/').length > 2 ? name : name.slice(1);
}

async function readSecret(stores: SecretStores, secretId: string): Promise<string> {
  const out = await stores.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('base64') : '');
}

async function readParameter(stores: SecretStores, valueFrom: string): Promise<string> {
  const name = parameterName(valueFrom);
  const out = await stores.ssm.send(new GetParametersCommand({ Names: [name], WithDecryption: true }));
  const value = out.Parameters?.[0]?.Value;
  if (value === undefined) throw new Error(`ParameterNotFound: ${name} (invalid parameters: ${out.InvalidParameters})`);
  return value;
}

/** The container's secrets as variables; throws ECS's ResourceInitializationError naming the first unreadable one. */
export async function resolveTaskSecrets(
  stores: SecretStores,
  secrets: readonly Secret[] = [],
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const { name, valueFrom } of secrets) {
    if (!name || !valueFrom) continue;
    const service = /^arn:[^:]+:secretsmanager:/.test(valueFrom) ? 'asm' : 'ssm';
    try {
      resolved[name] = service === 'asm' ? await readSecret(stores, valueFrom) : await readParameter(stores, valueFrom);
    } catch (error) {
      const reason = `${(error as Error).name}: ${(error as Error).message}`;
      throw new Error(
        `ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret ${name} ` +
          `from ${service}: ${valueFrom}: ${reason}`,
      );
    }
  }
  return resolved;
}
