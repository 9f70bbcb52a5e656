import { checkEmulator, EmulatorCheckError } from './emulator-check.js';

/**
 * `npm start`: checks the emulator given with AWS_ENDPOINT_URL first, in about a second, before the control plane's
 * modules (the CDK among them, several seconds to load) are imported; then runs the launcher (local/launcher.ts).
 * The launcher checks again when started in code (`startLocalControlPlane`).
 */
const endpoint = process.env.AWS_ENDPOINT_URL;
try {
  if (endpoint) await checkEmulator(endpoint);
} catch (error) {
  if (!(error instanceof EmulatorCheckError)) throw error;
  console.error(`[local] failed to start: ${error.message}`);
  process.exit(1);
}
const { runMain } = await import('./launcher.js');
runMain();
