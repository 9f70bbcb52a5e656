import { isIPv4, type Socket } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { ProbeFailure, type ProbeResult, type Probes } from './aws-probes.js';
import type { Logger } from './logger.js';

export interface AppDeps {
  readonly probes: Probes;
  readonly log: Logger;
  /** Prefix of every route: `/_dsenv` as a service's sidecar, where the service owns every other path. @default '' */
  readonly basePath?: string;
}

/** The error body used by every failure: `{"error": {"code", "message"}}`. */
function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** The client's address and family; an IPv4 client of a dual-stack listener shows as `::ffff:a.b.c.d`. */
function clientOf(socket: Socket) {
  const address = socket.remoteAddress ?? '';
  const mapped = address.startsWith('::ffff:') && isIPv4(address.slice(7));
  return mapped
    ? { client: address.slice(7), clientFamily: 'IPv4' }
    : { client: address, clientFamily: socket.remoteFamily };
}

/** One log line per request, written when the response is finished. */
function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
      log(res.statusCode >= 500 ? 'warn' : 'info', 'request', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs,
        ...clientOf(req.socket),
      });
    });
    next();
  };
}

function probeRoute(probe: () => Promise<ProbeResult<unknown>>): RequestHandler {
  // Express 5 forwards a rejected promise to the error handler.
  return async (_req, res) => {
    res.json(await probe());
  };
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    if (error instanceof ProbeFailure) {
      const cause = error.cause instanceof Error ? error.cause : undefined;
      log('error', error.message, { code: error.code, evidence: error.evidence, cause: cause?.message });
      res.status(error.status).json(errorBody(error.code, error.message));
      return;
    }
    log('error', 'unhandled error', { error: error instanceof Error ? error.message : String(error) });
    res.status(500).json(errorBody('InternalError', 'Internal error'));
  };
}

/** Builds the app without listening; `server.ts` listens. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(deps.log));

  const routes = express.Router();
  routes.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  routes.get(
    '/list-buckets',
    probeRoute(() => deps.probes.listBuckets()),
  );
  routes.get(
    '/list-ec2',
    probeRoute(() => deps.probes.describeInstances()),
  );
  app.use(deps.basePath || '/', routes);

  app.use((_req, res) => {
    res.status(404).json(errorBody('NotFound', 'No such route'));
  });
  app.use(errorHandler(deps.log));
  return app;
}
