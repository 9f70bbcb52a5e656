import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig, lazyClient } from './client-options.js';

export const stepFunctions = /* @__PURE__ */ lazyClient(() => new SFNClient(clientConfig('SFN')));
