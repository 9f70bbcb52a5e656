import { ECSClient } from '@aws-sdk/client-ecs';
import { clientConfig, lazyClient } from './client-options.js';

export const ecs = /* @__PURE__ */ lazyClient(() => new ECSClient(clientConfig('ECS')));
