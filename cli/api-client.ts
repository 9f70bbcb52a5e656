import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/**
 * The environments API as the CLI calls it: every request SigV4-signed (service `execute-api`) with the AWS
 * default credential chain, exactly what API Gateway's IAM authorization checks. Local mode reads the
 * signing identity as the caller. With no credentials at all the request goes unsigned (local mode's
 * default user; AWS answers 403).
 */
export interface ApiClientOptions {
  /** Base URL of the API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1` or `http://127.0.0.1:3000`. */
  readonly endpoint: string;
  /** @default the region in an execute-api host name, else AWS_REGION, else us-east-1 */
  readonly region?: string;
  /** Shared-config profile for the credential chain. @default AWS_PROFILE / default */
  readonly profile?: string;
}

/** An error answer of the API: its `{"error": {"code", "message"}}` body and request id. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
}

function regionOf(options: ApiClientOptions): string {
  if (options.region) return options.region;
  const host = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(options.endpoint);
  return host?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

async function credentialsOrNone(profile: string | undefined): Promise<AwsCredentialIdentity | undefined> {
  try {
    return await fromNodeProviderChain(profile === undefined ? {} : { profile })();
  } catch (error) {
    if ((error as { name?: string }).name === 'CredentialsProviderError') return undefined;
    throw error;
  }
}

export class ApiClient {
  readonly #base: URL;
  readonly #region: string;
  readonly #profile: string | undefined;
  #credentials: Promise<AwsCredentialIdentity | undefined> | undefined;

  constructor(options: ApiClientOptions) {
    this.#base = new URL(options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`);
    this.#region = regionOf(options);
    this.#profile = options.profile;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query: Record<string, string> = {},
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.#headers(method, url, text, extraHeaders);
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(text === undefined ? {} : { body: text }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(
        `cannot reach ${this.#base.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const raw = await response.text();
    const parsed = raw === '' ? {} : (JSON.parse(raw) as unknown);
    const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string }; message?: string }) ?? {};
      throw new ApiError(
        response.status,
        error.error?.code ?? `HTTP${response.status}`,
        error.error?.message ?? error.message ?? raw,
        requestId,
      );
    }
    return { status: response.status, body: parsed as T };
  }

  async #headers(
    method: string,
    url: URL,
    body: string | undefined,
    extra: Record<string, string>,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...extra, host: url.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.#credentials ??= credentialsOrNone(this.#profile);
    const credentials = await this.#credentials;
    if (credentials === undefined) {
      const { host: _host, ...unsigned } = headers;
      return unsigned;
    }
    const signer = new SignatureV4({
      credentials,
      region: this.#region,
      service: 'execute-api',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers,
      ...(body === undefined ? {} : { body }),
    });
    // fetch sets Host itself (to the same value); it was needed only for the signature.
    const { host: _host, ...sent } = signed.headers as Record<string, string>;
    return sent;
  }
}

/** Every item of a paginated listing (`{"items", "nextToken"?}`), all pages, in the API's order. */
export async function allPages<T>(client: ApiClient, path: string): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const query: Record<string, string> = { limit: '100', ...(nextToken === undefined ? {} : { nextToken }) };
    const page = await client.request<{ items: T[]; nextToken?: string }>('GET', path, undefined, query);
    items.push(...page.body.items);
    nextToken = page.body.nextToken;
  } while (nextToken !== undefined);
  return items;
}
