import { createSocket, type Socket } from 'node:dgram';

/**
 * Stand-in for public DNS: a tiny UDP resolver on the loopback interface that answers A (127.0.0.1) and
 * AAAA (::1) for the load-balancer names of live environments, and NXDOMAIN for every other name. The
 * validator reaches it through `DNS_SERVERS`, exactly as it would query public resolvers on AWS.
 */

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_FORMERR = 1;
/** Short, so that a name stops resolving soon after its environment is gone. */
const ANSWER_TTL_SECONDS = 1;

export interface DnsStandInOptions {
  /** Whether `name` (lower case, no trailing dot) belongs to a live environment. */
  readonly isLive: (name: string) => boolean;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default a free port */
  readonly port?: number;
}

export interface DnsStandIn {
  /** `host:port`, the form `DNS_SERVERS` takes. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Question {
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
  /** Offset just past the question, so it can be copied into the answer. */
  readonly end: number;
}

function readQuestion(message: Buffer): Question | undefined {
  if (message.length < 12 || message.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) return undefined; // no compression in questions we accept
    offset += 1;
    if (length === 0) break;
    if (offset + length > message.length) return undefined;
    labels.push(message.toString('ascii', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  return {
    name: labels.join('.').toLowerCase(),
    type: message.readUInt16BE(offset),
    qclass: message.readUInt16BE(offset + 2),
    end: offset + 4,
  };
}

function header(query: Buffer, rcode: number, questions: number, answers: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0); // id
  const opcodeAndRd = query.readUInt16BE(2) & 0x7900; // opcode + RD from the query
  out.writeUInt16BE(0x8000 | 0x0400 | opcodeAndRd | rcode, 2); // QR, AA
  out.writeUInt16BE(questions, 4);
  out.writeUInt16BE(answers, 6);
  return out;
}

function answerRecord(type: number): Buffer {
  const rdata = type === TYPE_A ? Buffer.from([127, 0, 0, 1]) : Buffer.from([...new Array(15).fill(0), 1]);
  const out = Buffer.alloc(12 + rdata.length);
  out.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  out.writeUInt16BE(type, 2);
  out.writeUInt16BE(CLASS_IN, 4);
  out.writeUInt32BE(ANSWER_TTL_SECONDS, 6);
  out.writeUInt16BE(rdata.length, 10);
  rdata.copy(out, 12);
  return out;
}

/** Builds the response to one query message (exported for tests of the wire format). */
export function answerQuery(query: Buffer, isLive: (name: string) => boolean): Buffer | undefined {
  if (query.length < 12) return undefined;
  const question = readQuestion(query);
  if (!question) return header(query, RCODE_FORMERR, 0, 0);
  const questionBytes = query.subarray(12, question.end);
  const known = question.qclass === CLASS_IN && isLive(question.name.replace(/\.$/, ''));
  if (!known) return Buffer.concat([header(query, RCODE_NXDOMAIN, 1, 0), questionBytes]);
  if (question.type !== TYPE_A && question.type !== TYPE_AAAA) {
    // The name exists but holds no record of that type: NOERROR with no answer.
    return Buffer.concat([header(query, 0, 1, 0), questionBytes]);
  }
  return Buffer.concat([header(query, 0, 1, 1), questionBytes, answerRecord(question.type)]);
}

export async function startDnsStandIn(options: DnsStandInOptions): Promise<DnsStandIn> {
  const host = options.host ?? '127.0.0.1';
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (message, remote) => {
    const response = answerQuery(message, options.isLive);
    if (response) socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {
    // A malformed peer must not take the resolver down.
  });
  const port = socket.address().port;
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
