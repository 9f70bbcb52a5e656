import { createServer } from 'node:http';
import { startLocalControlPlane } from '../../../local/launcher.js';
import type { TargetFault } from '../../../local/load-balancer-stand-in.js';
import { fastLocalOptions } from '../local-api.js';

/**
 * A local control plane in its own process, for the random-history tests: started against the emulator named by
 * AWS_ENDPOINT_URL (which outlives it, so killing this process is a crashed launcher), plus a small control server
 * for what only the process itself can do: target faults (probe down, IPv6 path down), the running tasks and a
 * sweep. Prints one line `model-host api=… control=… catalog=…` once ready.
 */
const MODEL_CONFIG = { maxActivePerOwner: 3, regionCapacity: 40 };

async function main(): Promise<void> {
  const local = await startLocalControlPlane(
    fastLocalOptions({
      emulatorEndpoint: process.env.AWS_ENDPOINT_URL,
      logLevel: process.env.LOG_LEVEL ?? 'ERROR',
      config: MODEL_CONFIG,
      // The sweeper is the backstop for what a crash leaves: it runs at start-up (resuming lost executions) but not
      // periodically here, so that a leak of the lifecycle itself shows up as an orphan instead of being repaired.
      sweepIntervalMs: 3_600_000,
    }),
  );
  const control = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      void (async () => {
        let answer: unknown = {};
        if (req.url === '/target-fault' && req.method === 'POST') {
          const { environmentId, fault } = JSON.parse(body) as { environmentId: string; fault: TargetFault | null };
          local.setTargetFault(environmentId, fault ?? undefined);
        } else if (req.url === '/live') {
          answer = local.liveEnvironments();
        } else if (req.url === '/sweep' && req.method === 'POST') {
          answer = await local.sweep();
        } else if (req.url === '/catalog') {
          answer = {
            endpoint: local.serviceCatalog.endpoint,
            productId: local.serviceCatalog.productId,
            provisioningArtifactId: local.serviceCatalog.provisioningArtifactId,
            products: local.serviceCatalog.products(),
          };
        } else {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer ?? null));
      })().catch((error: unknown) => res.writeHead(500).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const address = control.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stop = () => {
    control.close();
    local.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(
    `model-host api=${local.apiUrl} control=http://127.0.0.1:${port} catalog=${local.serviceCatalog.endpoint}`,
  );
}

main().catch((error: unknown) => {
  console.error(`model-host failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
