import { ExpiryWarningInput, warnOfExpiry } from '../domain/expiry-warnings.js';
import { taskHandler } from '../shared/task-handler.js';
import { registry } from './wiring.js';

/** The target of the warning schedules: records `expiring-soon` on a still-live environment's timeline. */
export const handler = taskHandler(ExpiryWarningInput, (input) => warnOfExpiry(registry(), input, new Date()));
