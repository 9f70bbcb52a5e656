import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBlueprint } from '../../blueprints/template-loader.js';
import { REGISTRATION_ENTRY } from '../../control-plane/constructs/catalog.js';
import { buildControlPlane } from './synth.js';

/**
 * The Service Catalog side of the control plane: portfolio, product (its template a registration of the same
 * engine), launch constraint, principal associations from cdk.json context, and the permissions that tie the
 * catalog to the teardown.
 */
const DEV_ROLE = 'arn:aws:iam::123456789012:role/developers';
const QA_GROUP = 'arn:aws:iam::123456789012:group/qa';

type Json = Record<string, unknown>;

describe('Service Catalog product', () => {
  let template: Template;
  let productTemplate: Json;
  let productTemplatePath: string;

  beforeAll(() => {
    const { app, stack, outdir } = buildControlPlane({ config: { catalogPrincipals: [DEV_ROLE, QA_GROUP] } });
    template = Template.fromStack(stack);
    app.synth();
    const name = readdirSync(outdir).find((f) => f.endsWith('.product.template.json'));
    if (!name) throw new Error('no product template was synthesized');
    productTemplatePath = path.join(outdir, name);
    productTemplate = JSON.parse(readFileSync(productTemplatePath, 'utf8')) as Json;
  });

  it('offers one portfolio holding one product whose version is named after the blueprint version', () => {
    template.resourceCountIs('AWS::ServiceCatalog::Portfolio', 1);
    template.resourceCountIs('AWS::ServiceCatalog::CloudFormationProduct', 1);
    template.hasResourceProperties('AWS::ServiceCatalog::CloudFormationProduct', {
      ProvisioningArtifactParameters: [
        Match.objectLike({
          Name: Match.stringLikeRegexp('^dual-stack-fargate-[0-9a-f]{12}$'),
          Info: { LoadTemplateFromURL: Match.anyValue() },
        }),
      ],
    });
    template.hasResourceProperties('AWS::ServiceCatalog::PortfolioProductAssociation', {
      PortfolioId: { Ref: Match.stringLikeRegexp('^CatalogPortfolio') },
      ProductId: { Ref: Match.stringLikeRegexp('^CatalogProduct') },
    });
  });

  it('has a product template with the name and TTL under the API’s bounds and a registration of the control plane', () => {
    expect(productTemplate.Parameters).toMatchObject({
      EnvironmentName: expect.objectContaining({ Type: 'String', AllowedPattern: '^[a-z][a-z0-9-]{0,30}$' }),
      TtlMinutes: expect.objectContaining({ Type: 'Number', MinValue: 30, MaxValue: 10080, Default: 240 }),
    });
    const resources = productTemplate.Resources as Record<string, { Type: string; Properties: Json }>;
    expect(Object.values(resources).map((r) => r.Type)).toEqual(['Custom::EnvironmentRegistration']);
    expect(resources.Registration?.Properties).toMatchObject({
      ServiceToken: { 'Fn::ImportValue': 'DsenvControlPlane-catalog-registration' },
      EnvironmentName: { Ref: 'EnvironmentName' },
      TtlMinutes: { Ref: 'TtlMinutes' },
    });
    template.hasOutput('*', {
      Export: { Name: 'DsenvControlPlane-catalog-registration' },
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CatalogRegistrationFunction'), 'Arn'] },
    });
  });

  it('takes the blueprint’s service parameters, constrained as the API constrains them, and hands each to the registration', () => {
    // Prepare
    const blueprintParameters = loadBlueprint().parent.Parameters ?? {};
    const serviceNames = Object.keys(blueprintParameters).filter((n) =>
      /^(Service|ContainerCpu$|ContainerMemory$|DesiredCount$)/.test(n),
    );
    const parameters = productTemplate.Parameters as Record<string, Record<string, unknown>>;
    const registration = (productTemplate.Resources as Record<string, { Properties: Record<string, unknown> }>)
      .Registration?.Properties;
    const allows = (name: string, value: string) => new RegExp(String(parameters[name]?.AllowedPattern)).test(value);

    // Assess
    expect(Object.keys(parameters).sort()).toEqual(['EnvironmentName', 'TtlMinutes', ...serviceNames].sort());
    for (const name of serviceNames) expect(registration?.[name], name).toEqual({ Ref: name });
    expect(parameters.ServiceImage?.Default).toBe('');
    expect(allows('ServiceImage', '')).toBe(true);
    expect(allows('ServiceImage', '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1')).toBe(true);
    expect(allows('ServiceImage', 'Not An Image')).toBe(false);
    expect([parameters.ServicePort?.MinValue, parameters.ServicePort?.MaxValue]).toEqual([1, 65535]);
    expect(allows('ServiceHealthyHttpCodes', '200-399')).toBe(true);
    expect(allows('ServiceHealthyHttpCodes', '500')).toBe(false);
    expect(allows('ServiceSecret1Arn', 'arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/x')).toBe(true);
    expect(allows('ServiceSecret1Arn', 'my-secret')).toBe(false);
    expect(allows('ServiceEnv1Name', '1BAD')).toBe(false);
  });

  it('launches with a role that can deploy only the product template: its stacks and the registration function', () => {
    template.hasResourceProperties('AWS::ServiceCatalog::LaunchRoleConstraint', {
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CatalogLaunchRole'), 'Arn'] },
    });
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'servicecatalog.amazonaws.com' } })],
        },
      },
    });
    const [launchRoleId] = Object.keys(roles);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: launchRoleId }] },
    });
    const actions = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action),
    );
    expect(actions.filter((a) => !/^(cloudformation|s3|lambda):/.test(a))).toEqual([]);
    expect(actions).toContain('lambda:InvokeFunction');
    expect(actions).not.toContain('ec2:CreateVpc');
    expect(actions.some((a) => a.includes('*'))).toBe(false);
  });

  it('shares the portfolio with each principal of the dsenv context', () => {
    template.resourceCountIs('AWS::ServiceCatalog::PortfolioPrincipalAssociation', 2);
    for (const principal of [DEV_ROLE, QA_GROUP]) {
      template.hasResourceProperties('AWS::ServiceCatalog::PortfolioPrincipalAssociation', {
        PrincipalARN: principal,
        PrincipalType: 'IAM',
        PortfolioId: { Ref: Match.stringLikeRegexp('^CatalogPortfolio') },
      });
    }
  });

  it('runs the registration in the house function, with the API’s TTL bounds', () => {
    template.hasResource('AWS::Lambda::Function', {
      Metadata: { 'dsenv:handler-entry': REGISTRATION_ENTRY },
      Properties: {
        Environment: {
          Variables: Match.objectLike({
            MIN_TTL_MINUTES: '30',
            MAX_TTL_MINUTES: '10080',
            TABLE_NAME: Match.anyValue(),
          }),
        },
      },
    });
  });

  it('lets the teardown and the sweeper (only they) terminate provisioned products of this account only', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const holders = Object.values(policies).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('servicecatalog:TerminateProvisionedProduct'),
    );
    const terminate = holders.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: Json }[]).filter((s) =>
        [s.Action].flat().includes('servicecatalog:TerminateProvisionedProduct'),
      ),
    );
    expect(terminate).toEqual([
      expect.objectContaining({ Condition: { StringEquals: { 'servicecatalog:accountLevel': 'self' } } }),
      expect.objectContaining({ Condition: { StringEquals: { 'servicecatalog:accountLevel': 'self' } } }),
    ]);
    const roles = holders.map((p) => JSON.stringify(p.Properties.Roles));
    expect(roles).toEqual([expect.stringMatching(/StartTeardownFunction/), expect.stringMatching(/Sweeper/)]);
  });

  it('passes cfn-lint on the product template', () => {
    let output = '';
    try {
      output = execFileSync('cfn-lint', ['--format', 'parseable', '--', productTemplatePath], { encoding: 'utf8' });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    expect(output.trim(), output).toBe('');
  });
});
