import { describe, expect, it } from 'vitest';
import { resolveIntrinsics, templateIntrinsicContext, TemplateResolutionError, type PhysicalResource } from '../../../infra/cloudformation/resolve-intrinsics.ts';

const RESOURCES: Record<string, PhysicalResource> = {
  Bucket: { ref: 'my-bucket', attributes: { Arn: 'arn:aws:s3:::my-bucket', 'RegionalDomainName': 'my-bucket.s3.eu-west-1.amazonaws.com' } },
  Pool: { ref: 'eu-west-1:pool', attributes: { Name: 'pool' } },
};

const context = templateIntrinsicContext(
  {
    Parameters: { Stage: { Default: 'prod' }, Origins: { Default: 'https://a.example,https://b.example' } },
    Conditions: {
      IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
      ProdOrDev: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsDev' }] },
      ProdAndDev: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsDev' }] },
    },
    Mappings: { Regions: { 'eu-west-1': { Short: 'euw1' } } },
  },
  (logicalId) => RESOURCES[logicalId],
  { region: 'eu-west-1', accountId: '123456789012', stackName: 'AppStack' },
);
const resolve = (value: unknown) => resolveIntrinsics(value, context, 'Resources.Thing');

describe('resolveIntrinsics', () => {
  it.each<[string, unknown, unknown]>([
    ['Ref to a resource', { Ref: 'Bucket' }, 'my-bucket'],
    ['Ref to a parameter default', { Ref: 'Stage' }, 'prod'],
    ['AWS::Region', { Ref: 'AWS::Region' }, 'eu-west-1'],
    ['AWS::AccountId', { Ref: 'AWS::AccountId' }, '123456789012'],
    ['AWS::Partition', { Ref: 'AWS::Partition' }, 'aws'],
    ['AWS::URLSuffix', { Ref: 'AWS::URLSuffix' }, 'amazonaws.com'],
    ['AWS::StackName', { Ref: 'AWS::StackName' }, 'AppStack'],
    ['Fn::GetAtt as a list', { 'Fn::GetAtt': ['Bucket', 'Arn'] }, 'arn:aws:s3:::my-bucket'],
    ['Fn::GetAtt as a dotted string', { 'Fn::GetAtt': 'Bucket.RegionalDomainName' }, 'my-bucket.s3.eu-west-1.amazonaws.com'],
    ['Fn::Join', { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] }, 'arn:aws:s3:::my-bucket/*'],
    ['Fn::Sub with references, attributes and an escaped policy variable', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/${!aws:userid}/${Bucket.Arn}' }, 'arn:aws:s3:::my-bucket/${aws:userid}/arn:aws:s3:::my-bucket'],
    ['Fn::Sub with a variable map', { 'Fn::Sub': ['${Name}-${AWS::Region}', { Name: { Ref: 'Pool' } }] }, 'eu-west-1:pool-eu-west-1'],
    ['Fn::Select over Fn::Split', { 'Fn::Select': [1, { 'Fn::Split': [',', { Ref: 'Origins' }] }] }, 'https://b.example'],
    ['Fn::If on a condition', { 'Fn::If': ['IsProd', 'big', 'small'] }, 'big'],
    ['Fn::If on a negated condition', { 'Fn::If': ['IsDev', 'big', 'small'] }, 'small'],
    ['Fn::Or', { 'Fn::If': ['ProdOrDev', 'yes', 'no'] }, 'yes'],
    ['Fn::And', { 'Fn::If': ['ProdAndDev', 'yes', 'no'] }, 'no'],
    ['AWS::NoValue removes the property', { Keep: 1, Drop: { 'Fn::If': ['IsProd', { Ref: 'AWS::NoValue' }, 2] } }, { Keep: 1 }],
    ['AWS::NoValue removes the list item', [1, { 'Fn::If': ['IsDev', 2, { Ref: 'AWS::NoValue' }] }], [1]],
    ['Fn::FindInMap', { 'Fn::FindInMap': ['Regions', { Ref: 'AWS::Region' }, 'Short'] }, 'euw1'],
    ['Fn::Base64', { 'Fn::Base64': 'hi' }, 'aGk='],
    ['plain nested values', { A: [{ B: 'c' }, 2, true, null] }, { A: [{ B: 'c' }, 2, true, null] }],
  ])('%s', (_name, value, expected) => {
    expect(resolve(value)).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ['Ref to an unknown logical id', { Ref: 'Missing' }, 'Resources.Thing.Ref: Ref to unknown resource or parameter "Missing"'],
    ['Fn::GetAtt of an unknown logical id', { 'Fn::GetAtt': ['Missing', 'Arn'] }, 'Fn::GetAtt of unknown resource "Missing"'],
    ['an attribute that is not known', { 'Fn::GetAtt': ['Bucket', 'WebsiteURL'] }, 'resource "Bucket" has no attribute "WebsiteURL"'],
    ['Fn::Sub naming an unknown logical id', { 'Fn::Sub': '${Missing}' }, 'Ref to unknown resource or parameter "Missing"'],
    ['an unknown condition', { 'Fn::If': ['Nope', 1, 2] }, 'unknown condition "Nope"'],
    ['an unsupported function', { 'Fn::ImportValue': 'x' }, 'Fn::ImportValue is not supported'],
    ['Fn::Select out of range', { 'Fn::Select': [5, ['a']] }, 'index out of range'],
  ])('reports %s with where it is', (_name, value, message) => {
    expect(() => resolve(value)).toThrow(TemplateResolutionError);
    expect(() => resolve(value)).toThrow(message);
  });

  it('parameter values given by the caller win over defaults', () => {
    const dev = templateIntrinsicContext({ Parameters: { Stage: { Default: 'prod' } }, Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } } }, () => undefined, {
      region: 'eu-west-1',
      accountId: '123456789012',
      stackName: 'AppStack',
      parameterValues: { Stage: 'dev' },
    });
    expect(resolveIntrinsics({ 'Fn::If': ['IsProd', 'big', 'small'] }, dev)).toBe('small');
  });
});
