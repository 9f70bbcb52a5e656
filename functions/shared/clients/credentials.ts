import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Where every client takes its credentials: the environment. Lambda sets `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` from the execution role before the handler loads, and local mode
 * and the tests set the first two (local/launcher.ts). Any other source of the SDK's default chain (profiles, SSO,
 * web identity, processes, container and instance metadata) would be a misconfiguration here.
 *
 * The bundles replace `@aws-sdk/credential-provider-node` with this module (control-plane/lambda-bundle.ts), so the
 * chain every SDK client names as its default, and a client built elsewhere (a library's) reads the environment
 * too, without the chain's code and its nested STS/SSO clients.
 */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
