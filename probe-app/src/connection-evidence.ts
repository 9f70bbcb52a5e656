import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IpFamily } from './config.js';

/** One connection an AWS call opened, as the socket saw it. */
export interface ConnectionRecord {
  /** Host the request was sent to (the endpoint's host name or IP literal). */
  readonly host: string;
  /** Filled in once connected: `IPv4` or `IPv6`. */
  family?: string;
  address?: string;
  port?: number;
}

const currentCall = new AsyncLocalStorage<ConnectionRecord[]>();

/** Runs `call`, appending to `connections` every connection its HTTP requests open. */
export function recordConnections<T>(connections: ConnectionRecord[], call: () => Promise<T>): Promise<T> {
  return currentCall.run(connections, call);
}

function track(socket: Duplex | null | undefined, options: http.ClientRequestArgs): void {
  const connections = currentCall.getStore();
  if (!socket || !connections) return;
  const record: ConnectionRecord = { host: options.hostname ?? options.host ?? '' };
  connections.push(record);
  // Read the peer on 'connect': once the socket is closed Node can no longer tell it.
  socket.once('connect', () => {
    const { remoteFamily, remoteAddress, remotePort } = socket as Socket;
    Object.assign(record, { family: remoteFamily, address: remoteAddress, port: remotePort });
  });
}

// Agents without keep-alive: every call opens (and records) its own connection, so the evidence
// describes the connection that call used, never one left over from an earlier call.
class RecordingHttpAgent extends http.Agent {
  constructor(private readonly family: IpFamily) {
    super({ keepAlive: false });
  }
  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, s: Duplex) => void) {
    const socket = super.createConnection({ ...options, family: this.family }, callback);
    track(socket, options);
    return socket;
  }
}

class RecordingHttpsAgent extends https.Agent {
  constructor(private readonly family: IpFamily) {
    super({ keepAlive: false });
  }
  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, s: Duplex) => void) {
    const socket = super.createConnection({ ...options, family: this.family }, callback);
    track(socket, options);
    return socket;
  }
}

/** Options for the SDK's NodeHttpHandler: agents that record connections and force `family` when it is 4 or 6. */
export function recordingRequestHandler(family: IpFamily, timeoutMs: number) {
  return {
    httpAgent: new RecordingHttpAgent(family),
    httpsAgent: new RecordingHttpsAgent(family),
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    // Without it the handler only logs a warning when requestTimeout passes.
    throwOnRequestTimeout: true,
  };
}
