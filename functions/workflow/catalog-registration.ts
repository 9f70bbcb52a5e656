import { answerRegistrationEvent, type CatalogDeps } from '../domain/service-catalog.js';
import { RegistrationEvent, type RegistrationResponse } from '../schemas/catalog.js';
import { cloudFormation } from '../shared/clients/cloudformation.js';
import { lifecycleDeps } from '../shared/lifecycle-deps.js';
import { taskHandler } from '../shared/task-handler.js';

/**
 * The `Custom::EnvironmentRegistration` of the Service Catalog product (ServiceToken): registers a launch, extends
 * on update, tears down on termination (functions/domain/service-catalog.ts), then PUTs the answer to the
 * event's ResponseURL as CloudFormation expects. The answer is always sent, FAILED with a reason on any error.
 */
let deps: CatalogDeps | undefined;
/** What `POST /environments` registers with (the same engine), plus CloudFormation for the stack's tags. */
function catalogDeps(): CatalogDeps {
  deps ??= { ...lifecycleDeps(), cfn: cloudFormation() };
  return deps;
}

/** PUT to the pre-signed URL; CloudFormation wants no content type. */
export async function sendResponse(responseUrl: string, response: RegistrationResponse): Promise<void> {
  const answer = await fetch(responseUrl, {
    method: 'PUT',
    body: JSON.stringify(response),
    headers: { 'content-type': '' },
  });
  if (!answer.ok) throw new Error(`CloudFormation refused the response: HTTP ${answer.status}`);
}

export const handler = taskHandler(RegistrationEvent, async (event, context) => {
  const response = await answerRegistrationEvent(catalogDeps(), event, context.logStreamName);
  await sendResponse(event.ResponseURL, response);
  return response;
});
