/**
 * The caller of a local stand-in, as API Gateway's IAM authorization would name it.
 *
 * On AWS the principal is the IAM identity that signed the request. Local mode has no IAM, so it reads the
 * signing identity from the SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=<access key id>/<date>/…`)
 * and names the caller `arn:aws:iam::<LOCAL_ACCOUNT>:user/<access key id>`: two different key ids are two owners.
 * The signature itself is not verified (there is no secret to check it against), so the stand-ins must only listen
 * on loopback. `X-Principal` (for curl) wins over a signature; neither gives the default local user.
 */
export const DEFAULT_PRINCIPAL = 'local-user';
export const LOCAL_ACCOUNT = '123456789012';

const ACCESS_KEY_ID = /^[A-Za-z0-9+/=_-]{1,128}$/;

/** The access key id of a SigV4 `Authorization` header, or undefined when the header is absent or not SigV4. */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//.exec(authorization.trim());
  const keyId = match?.[1];
  return keyId !== undefined && ACCESS_KEY_ID.test(keyId) ? keyId : undefined;
}

export interface CallerHeaders {
  readonly authorization?: string | undefined;
  readonly principal?: string | undefined;
}

/** The caller's principal: `X-Principal` if given, else the signing identity, else the default local user. */
export function principalOf(headers: CallerHeaders): string {
  const explicit = headers.principal?.trim();
  if (explicit) return explicit;
  const keyId = accessKeyIdOf(headers.authorization);
  return keyId ? `arn:aws:iam::${LOCAL_ACCOUNT}:user/${keyId}` : DEFAULT_PRINCIPAL;
}
