import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig, lazyClient } from './client-options.js';

export const stepFunctions = lazyClient(() => new SFNClient(clientConfig('SFN')));
