import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { clientConfig, lazyClient } from './client-options.js';

export const elbv2 = /* @__PURE__ */ lazyClient(
  () => new ElasticLoadBalancingV2Client(clientConfig('ELASTIC_LOAD_BALANCING_V2')),
);
