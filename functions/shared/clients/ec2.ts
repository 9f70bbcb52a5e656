import { EC2Client } from '@aws-sdk/client-ec2';
import { clientConfig, lazyClient } from './client-options.js';

export const ec2 = /* @__PURE__ */ lazyClient(() => new EC2Client(clientConfig('EC2')));
