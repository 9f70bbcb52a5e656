import { LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig, lazyClient } from './client-options.js';

export const lambda = /* @__PURE__ */ lazyClient(() => new LambdaClient(clientConfig('LAMBDA')));
