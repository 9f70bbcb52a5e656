import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { clientConfig, lazyClient } from './client-options.js';

export const tagging = /* @__PURE__ */ lazyClient(
  () => new ResourceGroupsTaggingAPIClient(clientConfig('RESOURCE_GROUPS_TAGGING_API')),
);
