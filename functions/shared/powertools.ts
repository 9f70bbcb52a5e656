import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Logger, metrics and tracer are built once per process and shared by every handler.
 * Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE
 * (set by the house function construct on AWS and by the launcher locally).
 */
export const serviceName = 'dsenv-control-plane';
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: 'dsenv' });
export const tracer = new Tracer({ serviceName });
