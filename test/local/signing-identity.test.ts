import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { accessKeyIdOf, DEFAULT_PRINCIPAL, principalOf } from '../../local/signing-identity.js';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const binary = (data: SourceData) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The `Checksum` SignatureV4 needs, from Node's crypto (HMAC when given a secret). */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', binary(secret));
  }
  update(data: SourceData): void {
    this.hash.update(binary(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

async function signedAuthorization(accessKeyId: string): Promise<string> {
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    region: 'us-east-1',
    service: 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 3000,
    path: '/environments',
    headers: { host: '127.0.0.1:3000' },
  });
  return String(signed.headers.authorization);
}

describe('the local caller is the signing identity', () => {
  it('reads the access key id from a real SigV4 signature', async () => {
    const authorization = await signedAuthorization('AKIDALICE');
    expect(accessKeyIdOf(authorization)).toBe('AKIDALICE');
    expect(principalOf({ authorization })).toBe('arn:aws:iam::123456789012:user/AKIDALICE');
  });

  it('gives two signing identities two different principals', async () => {
    const alice = principalOf({ authorization: await signedAuthorization('AKIDALICE') });
    const bob = principalOf({ authorization: await signedAuthorization('AKIDBOB') });
    expect(alice).not.toBe(bob);
  });

  it('lets X-Principal win over a signature, for curl', async () => {
    const authorization = await signedAuthorization('AKIDALICE');
    expect(principalOf({ authorization, principal: ' arn:aws:iam::1:user/carol ' })).toBe('arn:aws:iam::1:user/carol');
  });

  it('falls back to the default local user without a SigV4 header', () => {
    expect(principalOf({})).toBe(DEFAULT_PRINCIPAL);
    expect(principalOf({ authorization: 'Basic dXNlcjpwYXNz' })).toBe(DEFAULT_PRINCIPAL);
    expect(principalOf({ authorization: 'AWS4-HMAC-SHA256 Credential=bad key/2026/x' })).toBe(DEFAULT_PRINCIPAL);
    expect(principalOf({ principal: '   ' })).toBe(DEFAULT_PRINCIPAL);
  });
});
