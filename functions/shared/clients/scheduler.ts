import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { clientConfig, lazyClient } from './client-options.js';

export const scheduler = /* @__PURE__ */ lazyClient(() => new SchedulerClient(clientConfig('SCHEDULER')));
