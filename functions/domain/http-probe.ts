import type { LookupAddress } from 'node:dns';
import type { Resolver } from 'node:dns/promises';
import http from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import type { ProbeRequest, ProbeResponse } from '../schemas/workflow.js';

/** The name resolution a probe uses: the same resolver as the DNS checks, so both see the same answers. */
export type ProbeResolver = Pick<Resolver, 'resolve4' | 'resolve6'>;

export interface ProbeDeps {
  resolver: ProbeResolver;
}

/** Largest part of a response body kept in a ProbeResponse. */
export const MAX_BODY_CHARS = 16_384;

/** A `lookup` for http.request that resolves only the requested family, through `resolver`. */
export function familyLookup(resolver: ProbeResolver, family: 4 | 6): LookupFunction {
  return (hostname, options, callback) => {
    const answer = (addresses: string[]) => {
      if (addresses.length === 0) {
        const error = Object.assign(new Error(`no ${family === 4 ? 'A' : 'AAAA'} record for ${hostname}`), {
          code: 'ENOTFOUND',
        });
        callback(error, '', family);
      } else if (options.all) {
        const all: LookupAddress[] = addresses.map((address) => ({ address, family }));
        (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, all);
      } else {
        callback(null, addresses[0] as string, family);
      }
    };
    const literal = hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) === family) return answer([literal]);
    if (isIP(literal) !== 0) return answer([]);
    (family === 4 ? resolver.resolve4(hostname) : resolver.resolve6(hostname)).then(answer, (error: Error) =>
      callback(error as NodeJS.ErrnoException, '', family),
    );
  };
}

/**
 * One HTTP GET over exactly one IP family (4 or 6), with the name resolved by `resolver`. Never throws: a refused
 * connection, a timeout or a missing record come back as `ok: false` with `error`. `ok` means a 2xx answer;
 * `remoteAddress`/`remoteFamily` name the peer the request really reached.
 */
export function probeHttp(request: ProbeRequest, deps: ProbeDeps): Promise<ProbeResponse> {
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  return new Promise<ProbeResponse>((resolve) => {
    let remote: { remoteAddress?: string; remoteFamily?: string } = {};
    const finish = (response: Omit<ProbeResponse, 'elapsedMs'>) =>
      resolve({ ...remote, ...response, elapsedMs: elapsedMs() });
    let req: http.ClientRequest;
    try {
      req = http.request(request.url, {
        method: 'GET',
        family: request.family,
        lookup: familyLookup(deps.resolver, request.family),
        agent: false,
        headers: { accept: 'application/json, */*' },
      });
    } catch (error) {
      finish({ ok: false, error: (error as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${request.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, request.timeoutMs);
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        remote = { remoteAddress: socket.remoteAddress, remoteFamily: socket.remoteFamily };
      });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY_CHARS) body += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        const statusCode = res.statusCode ?? 0;
        finish({ ok: statusCode >= 200 && statusCode < 300, statusCode, body: body.slice(0, MAX_BODY_CHARS) });
      });
      res.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        finish({ ok: false, statusCode: res.statusCode, error: error.code ?? error.message });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      finish({ ok: false, error: error.code ? `${error.code}: ${error.message}` : error.message });
    });
    req.end();
  });
}
