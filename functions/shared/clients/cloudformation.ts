import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig, lazyClient } from './client-options.js';

export const cloudFormation = /* @__PURE__ */ lazyClient(
  () => new CloudFormationClient(clientConfig('CLOUDFORMATION')),
);
