import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { clientConfig, lazyClient } from './client-options.js';

export const eventBridge = /* @__PURE__ */ lazyClient(() => new EventBridgeClient(clientConfig('EVENTBRIDGE')));
