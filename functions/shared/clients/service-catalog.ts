import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { clientConfig, lazyClient } from './client-options.js';

export const serviceCatalog = lazyClient(() => new ServiceCatalogClient(clientConfig('SERVICE_CATALOG')));
