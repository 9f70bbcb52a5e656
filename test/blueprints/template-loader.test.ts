// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings, not JavaScript templates
import { describe, expect, it } from 'vitest';
import {
  activeResources,
  dependsOn,
  evaluateConditions,
  loadBlueprint,
  parameterValues,
  parseTemplate,
} from '../../blueprints/template-loader.js';

const TEMPLATE = `
Parameters:
  Flag: { Type: String, Default: 'false' }
  Other: { Type: String, Default: b }
Conditions:
  FlagOn: !Equals [!Ref Flag, 'true']
  FlagOff: !Not [!Condition FlagOn]
  Both: !And [!Condition FlagOn, !Equals [!Ref Other, b]]
Resources:
  Subnet:
    Type: AWS::EC2::Subnet
    DependsOn: Block
    Properties:
      VpcId: !Ref Vpc
      Ipv6CidrBlock: !Select [1, !Cidr [!Select [0, !GetAtt Vpc.Ipv6CidrBlocks], 4, 64]]
      AvailabilityZone: !Select [0, !GetAZs '']
      Name: !Sub '\${AWS::StackName}-x'
      Pair: !Sub ['\${A}', { A: !ImportValue exported }]
      Nested: !GetAtt Child.Outputs.Some.Dotted
      Choice: !If [FlagOn, !Join [',', [a, b]], !Ref AWS::NoValue]
      Mapped: !FindInMap [M, K, V]
      Encoded: !Base64 text
      Parts: !Split [',', 'a,b']
  Extra:
    Type: AWS::SNS::Topic
    Condition: Both
    DependsOn: [Subnet, Other]
`;

describe('template loader', () => {
  it('turns every short-form intrinsic into the long form CloudFormation evaluates', () => {
    // Act
    const template = parseTemplate(TEMPLATE);

    // Assess
    expect(template.Resources.Subnet?.Properties).toEqual({
      VpcId: { Ref: 'Vpc' },
      Ipv6CidrBlock: {
        'Fn::Select': [1, { 'Fn::Cidr': [{ 'Fn::Select': [0, { 'Fn::GetAtt': ['Vpc', 'Ipv6CidrBlocks'] }] }, 4, 64] }],
      },
      AvailabilityZone: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      Name: { 'Fn::Sub': '${AWS::StackName}-x' },
      Pair: { 'Fn::Sub': ['${A}', { A: { 'Fn::ImportValue': 'exported' } }] },
      Nested: { 'Fn::GetAtt': ['Child', 'Outputs.Some.Dotted'] },
      Choice: { 'Fn::If': ['FlagOn', { 'Fn::Join': [',', ['a', 'b']] }, { Ref: 'AWS::NoValue' }] },
      Mapped: { 'Fn::FindInMap': ['M', 'K', 'V'] },
      Encoded: { 'Fn::Base64': 'text' },
      Parts: { 'Fn::Split': [',', 'a,b'] },
    });
    expect(template.Conditions?.FlagOff).toEqual({ 'Fn::Not': [{ Condition: 'FlagOn' }] });
  });

  it('splits a short-form GetAtt on its first dot only, as CloudFormation does for nested outputs', () => {
    // Act
    const template = parseTemplate('Resources:\n  R:\n    Type: T\n    Properties:\n      A: !GetAtt S.Outputs.X\n');

    // Assess
    expect(template.Resources.R?.Properties?.A).toEqual({ 'Fn::GetAtt': ['S', 'Outputs.X'] });
  });

  it('evaluates conditions from defaults and overrides and keeps only the resources whose condition holds', () => {
    // Prepare
    const template = parseTemplate(TEMPLATE);

    // Act
    const byDefault = evaluateConditions(template, parameterValues(template));
    const flagged = parameterValues(template, { Flag: true });

    // Assess
    expect(byDefault).toEqual({ FlagOn: false, FlagOff: true, Both: false });
    expect(evaluateConditions(template, flagged)).toEqual({ FlagOn: true, FlagOff: false, Both: true });
    expect(Object.keys(activeResources(template, parameterValues(template)))).toEqual(['Subnet']);
    expect(Object.keys(activeResources(template, flagged))).toEqual(['Subnet', 'Extra']);
  });

  it('reads DependsOn given as one name or as a list', () => {
    // Prepare
    const template = parseTemplate(TEMPLATE);

    const { Subnet: subnet, Extra: extra } = template.Resources;

    // Act / Assess
    expect(subnet && dependsOn(subnet)).toEqual(['Block']);
    expect(extra && dependsOn(extra)).toEqual(['Subnet', 'Other']);
  });

  it('rejects a document without Resources and duplicate keys', () => {
    expect(() => parseTemplate('Parameters: {}\n')).toThrow(/no Resources/);
    expect(() => parseTemplate('Resources:\n  A: {Type: X}\n  A: {Type: Y}\n')).toThrow();
  });

  it('loads the four blueprint templates', () => {
    // Act
    const blueprint = loadBlueprint();

    // Assess
    expect(Object.keys(blueprint)).toEqual(['parent', 'network', 'cluster', 'service']);
    for (const template of Object.values(blueprint)) expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
  });
});
