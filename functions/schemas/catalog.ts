import * as z from 'zod/mini';

/**
 * What CloudFormation sends a custom resource's Lambda, and what it expects back at `ResponseURL`
 * (the `Custom::EnvironmentRegistration` of the Service Catalog product, docs in README "Service Catalog").
 * The properties are strings as CloudFormation passes them; the domain checks their values, so that a bad
 * value becomes a FAILED answer the catalog shows instead of an unanswered request.
 */
export const RegistrationProperties = z.looseObject({
  EnvironmentName: z.string(),
  TtlMinutes: z.union([z.string(), z.number()]),
});
export type RegistrationProperties = z.infer<typeof RegistrationProperties>;

const EventBase = {
  ServiceToken: z.optional(z.string()),
  ResponseURL: z.url(),
  StackId: z.string().check(z.minLength(1)),
  RequestId: z.string().check(z.minLength(1)),
  LogicalResourceId: z.string().check(z.minLength(1)),
  ResourceType: z.string(),
};

export const RegistrationEvent = z.discriminatedUnion('RequestType', [
  z.object({ ...EventBase, RequestType: z.literal('Create'), ResourceProperties: z.record(z.string(), z.unknown()) }),
  z.object({
    ...EventBase,
    RequestType: z.literal('Update'),
    PhysicalResourceId: z.string(),
    ResourceProperties: z.record(z.string(), z.unknown()),
    OldResourceProperties: z.record(z.string(), z.unknown()),
  }),
  z.object({
    ...EventBase,
    RequestType: z.literal('Delete'),
    PhysicalResourceId: z.string(),
    ResourceProperties: z.record(z.string(), z.unknown()),
  }),
]);
export type RegistrationEvent = z.infer<typeof RegistrationEvent>;

/** The body PUT to `ResponseURL`. `Data` becomes the resource's attributes (`Fn::GetAtt`). */
export interface RegistrationResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}
