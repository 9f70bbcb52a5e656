import { describe, expect, it } from 'vitest';
import { createEnvironment } from '../../../functions/domain/environments.js';
import { serviceParameters } from '../../../functions/domain/service-parameters.js';
import { ServiceSpec } from '../../../functions/schemas/service.js';
import { InputValidationError } from '../../../functions/shared/errors.js';
import { ALICE } from '../api/support/events.js';
import { fakeDeps } from '../api/support/fakes.js';

const ECR_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service:1';
const service = (fields: Partial<ServiceSpec> = {}) => ServiceSpec.parse({ image: ECR_IMAGE, port: 8080, ...fields });

describe('createEnvironment with a service', () => {
  it('stores the service with its defaults on the CREATING record', async () => {
    // Prepare
    const { deps, registry } = fakeDeps();

    // Act
    const view = await createEnvironment(deps, { owner: ALICE, body: { name: 'web', service: service() } });

    // Assess
    expect(registry.items.get(view.id)?.service).toEqual({
      image: ECR_IMAGE,
      port: 8080,
      healthPath: '/',
      healthyHttpCodes: '200-399',
      cpu: 256,
      memory: 512,
      desiredCount: 1,
    });
    expect(view.service?.image).toBe(ECR_IMAGE);
  });

  it('accepts an image under a configured pull-through cache prefix', async () => {
    const { deps } = fakeDeps();
    deps.config = {
      ...deps.config,
      serviceRules: { ...deps.config.serviceRules, pullThroughPrefixes: ['registry.internal.example/cache'] },
    };
    const image = 'registry.internal.example/cache/library/nginx:1.27';

    const view = await createEnvironment(deps, { owner: ALICE, body: { name: 'web', service: service({ image }) } });

    expect(view.service?.image).toBe(image);
  });

  it('refuses a Docker Hub image with why and what to do, writing and starting nothing', async () => {
    // Prepare
    const { deps, registry, sfn, scheduler } = fakeDeps();
    const body = { name: 'web', service: service({ image: 'docker.io/library/nginx:1.27' }) };

    // Act
    const refusal = createEnvironment(deps, { owner: ALICE, body });

    // Assess
    await expect(refusal).rejects.toThrow(InputValidationError);
    await expect(refusal).rejects.toThrow(/no IPv4 route to the internet.*docker-hub\/library\/nginx:1\.27/s);
    expect(registry.items.size).toBe(0);
    expect(sfn.started).toHaveLength(0);
    expect(scheduler.schedules.size).toBe(0);
  });

  it('in local mode, refuses an image the mapping file does not name, saying how to map it', async () => {
    // Prepare
    const { deps, registry } = fakeDeps();
    deps.config = {
      ...deps.config,
      serviceRules: { ...deps.config.serviceRules, local: { images: new Set(['other']), file: '/x/images.json' } },
    };

    // Act
    const refusal = createEnvironment(deps, { owner: ALICE, body: { name: 'web', service: service() } });

    // Assess
    await expect(refusal).rejects.toThrow(/no local command.*\/x\/images\.json.*"images"/s);
    expect(registry.items.size).toBe(0);
  });

  it('in local mode, refuses a probe image other than the probe built from probe-app/', async () => {
    const { deps, registry } = fakeDeps();
    deps.config = {
      ...deps.config,
      serviceRules: { ...deps.config.serviceRules, local: { images: new Set([ECR_IMAGE]), file: 'images.json' } },
    };

    const refusal = createEnvironment(deps, { owner: ALICE, body: { name: 'web', imageUri: ECR_IMAGE } });

    await expect(refusal).rejects.toThrow(/imageUri .* cannot run locally.*"service"/);
    expect(registry.items.size).toBe(0);
  });
});

describe('serviceParameters', () => {
  it('sends nothing without a service, so the blueprint deploys the probe alone', () => {
    expect(serviceParameters(undefined)).toEqual([]);
  });

  it('numbers variables and secrets into their slots and joins the command', () => {
    const parameters = serviceParameters(
      service({
        command: ['node', 'server.mjs'],
        environment: { A: '1', B: 'two words' },
        secrets: { S: 'arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/s' },
      }),
    );
    expect(Object.fromEntries(parameters.map((p) => [p.ParameterKey, p.ParameterValue]))).toEqual({
      ServiceImage: ECR_IMAGE,
      ServicePort: '8080',
      ServiceHealthPath: '/',
      ServiceHealthyHttpCodes: '200-399',
      ServiceCommand: 'node,server.mjs',
      ServiceEnv1Name: 'A',
      ServiceEnv1Value: '1',
      ServiceEnv2Name: 'B',
      ServiceEnv2Value: 'two words',
      ServiceSecret1Name: 'S',
      ServiceSecret1Arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/s',
      ContainerCpu: '256',
      ContainerMemory: '512',
      DesiredCount: '1',
    });
  });
});
