import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { clientConfig, lazyClient } from './client-options.js';

export const serviceCatalog = /* @__PURE__ */ lazyClient(
  () => new ServiceCatalogClient(clientConfig('SERVICE_CATALOG')),
);
