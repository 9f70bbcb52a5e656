import type { ServiceSpec } from '../schemas/service.js';
import { InputValidationError } from '../shared/errors.js';

/** What the platform allows a service to use (API configuration, from cdk.json `dsenv.service`). */
export interface ServiceRules {
  /** The environments' region: images come from ECR here. */
  readonly region: string;
  /** ECR pull-through cache prefixes the platform team configured (`<account>.dkr.ecr.<region>.amazonaws.com/<rule>`). */
  readonly pullThroughPrefixes: readonly string[];
  /** ARN prefixes under which secrets and parameters may be named. None: no secrets allowed. */
  readonly secretPrefixes: readonly string[];
  /** Local mode only: the images the launcher can run (`LOCAL_IMAGE_COMMANDS`), and the file that maps them. */
  readonly local?: { readonly images: ReadonlySet<string>; readonly file: string };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function isRegionalEcr(image: string, region: string): boolean {
  return new RegExp(`^\\d{12}\\.dkr\\.ecr\\.${escapeRegExp(region)}\\.amazonaws\\.com(\\.cn)?/`).test(image);
}

/**
 * The private subnets have no IPv4 route to the internet: a task pulls only from ECR in its region (through the
 * VPC endpoints), which includes the repositories of an ECR pull-through cache rule.
 */
export function assertPullable(rules: ServiceRules, image: string, field: string): void {
  const { region, pullThroughPrefixes } = rules;
  if (isRegionalEcr(image, region) || pullThroughPrefixes.some((prefix) => image.startsWith(prefix))) return;
  const caches =
    pullThroughPrefixes.length > 0
      ? `, or through the pull-through cache prefix(es) ${pullThroughPrefixes.join(', ')} (e.g. ${pullThroughPrefixes[0]}/${image.split('/').slice(1).join('/')})`
      : '';
  throw new InputValidationError(
    `${field} ${image} cannot be pulled by the environment: its private subnets have no IPv4 route to the internet, ` +
      `so images come only from ECR in ${region} (<account>.dkr.ecr.${region}.amazonaws.com/<repository>:<tag>)${caches}. ` +
      `Push the image to an ECR repository in ${region}, or ask the platform team for an ECR pull-through cache rule.`,
  );
}

function assertSecretsAllowed(rules: ServiceRules, secrets: Readonly<Record<string, string>>): void {
  for (const [name, arn] of Object.entries(secrets)) {
    if (rules.secretPrefixes.some((prefix) => arn.startsWith(prefix))) continue;
    const allowed =
      rules.secretPrefixes.length === 0
        ? 'the platform allows no secrets (cdk.json dsenv.service.secretPrefixes is empty)'
        : `allowed prefixes: ${rules.secretPrefixes.join(', ')}`;
    throw new InputValidationError(`service.secrets.${name} ${arn} is outside the allowed secrets; ${allowed}`);
  }
}

function assertRunsLocally(rules: ServiceRules, image: string): void {
  if (rules.local === undefined || rules.local.images.has(image)) return;
  throw new InputValidationError(
    `service.image ${image} has no local command: local mode runs no containers, so add it to ${rules.local.file} ` +
      `as "images": {"${image}": {"command": ["node", "server.js"]}} (a process that listens on PORT over IPv4 and ` +
      'IPv6), or point LOCAL_IMAGE_COMMANDS at another mapping file, then restart npm start',
  );
}

/** Everything about a service that the schema cannot know: where its image and secrets may come from. */
export function assertServiceAllowed(rules: ServiceRules, service: ServiceSpec): void {
  assertPullable(rules, service.image, 'service.image');
  assertSecretsAllowed(rules, service.secrets ?? {});
  assertRunsLocally(rules, service.image);
}

/** Local mode runs the probe built from probe-app/, so a probe image other than that one cannot be honoured. */
export function assertProbeImageRunsLocally(rules: ServiceRules, imageUri: string, defaultImageUri: string): void {
  if (rules.local === undefined || imageUri === defaultImageUri) return;
  throw new InputValidationError(
    `imageUri ${imageUri} cannot run locally: imageUri is the probe's image, and local mode runs the probe from ` +
      'probe-app/. To run your own container, send it as "service": {"image", "port"} instead',
  );
}
