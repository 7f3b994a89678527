import { describe, expect, it } from 'vitest';
import { compilePolicy, PolicyValidationError, type PolicyKind } from '../../../infra/policy-engine/index.ts';

const statement = { Sid: 'S', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };

function faultOf(document: unknown, kind: PolicyKind = 'identity'): PolicyValidationError {
  try {
    compilePolicy(document, { name: 'RolePolicy', kind });
  } catch (error) {
    if (error instanceof PolicyValidationError) return error;
    throw error;
  }
  throw new Error('the policy was accepted');
}

const withStatement = (overrides: Record<string, unknown>, version = '2012-10-17') => ({ Version: version, Statement: [{ ...statement, ...overrides }] });

describe('policy validation', () => {
  it.each<[string, unknown, string]>([
    ['a misspelt operator', withStatement({ Condition: { StringEqual: { 'aws:userid': 'x' } } }), 'unknown condition operator "StringEqual" (did you mean "StringEquals"?)'],
    ['a misspelt qualified operator', withStatement({ Condition: { 'ForAnyValue:StringLik': { 'aws:TagKeys': 'x' } } }), 'unknown condition operator "ForAnyValue:StringLik" (did you mean "ForAnyValue:StringLike"?)'],
    ['Null with a set qualifier', withStatement({ Condition: { 'ForAllValues:Null': { 'aws:TagKeys': 'true' } } }), 'Null takes no set qualifier'],
    ['an unknown statement element', withStatement({ Actions: 's3:GetObject' }), 'unknown statement element "Actions"'],
    ['a bad effect', withStatement({ Effect: 'allow' }), 'Effect must be "Allow" or "Deny", got "allow"'],
    ['both Action and NotAction', withStatement({ NotAction: 's3:PutObject' }), 'a statement cannot have both Action and NotAction'],
    ['both Resource and NotResource', withStatement({ NotResource: '*' }), 'a statement cannot have both Resource and NotResource'],
    ['no Action', { Version: '2012-10-17', Statement: { Sid: 'S', Effect: 'Allow', Resource: '*' } }, 'missing Action (or NotAction)'],
    ['no Resource', { Version: '2012-10-17', Statement: { Sid: 'S', Effect: 'Allow', Action: 's3:GetObject' } }, 'missing Resource (or NotResource)'],
    ['a Principal in an identity policy', withStatement({ Principal: '*' }), 'Principal is not allowed in an identity policy'],
    ['a wildcard in a service prefix', withStatement({ Action: 's*:GetObject' }), 'action "s*:GetObject": wildcards are not allowed in the service prefix'],
    ['an action without a service', withStatement({ Action: 'GetObject' }), 'action "GetObject" must be "*" or "service:action"'],
    ['a resource that is no ARN', withStatement({ Resource: 'bucket/key' }), 'resource "bucket/key" must be "*" or an ARN'],
    ['a variable before the resource part', withStatement({ Resource: 'arn:aws:s3:${aws:region}::b' }), 'policy variables are allowed only in the resource part'],
    ['a variable in a 2008 policy', withStatement({ Resource: 'arn:aws:s3:::b/${aws:userid}' }, '2008-10-17'), 'needs "Version": "2012-10-17"'],
    ['a variable in a policy without Version', { Statement: [{ ...statement, Resource: 'arn:aws:s3:::b/${aws:userid}' }] }, 'needs "Version": "2012-10-17"'],
    ['an unterminated variable', withStatement({ Resource: 'arn:aws:s3:::b/${aws:userid' }), 'unterminated policy variable'],
    ['an unquoted default', withStatement({ Resource: 'arn:aws:s3:::b/${aws:userid, none}' }), "a policy variable default must be quoted with '"],
    ['a variable in a condition key', withStatement({ Condition: { StringEquals: { 'aws:PrincipalTag/${aws:userid}': 'x' } } }), 'contains a policy variable'],
    ['a variable in a numeric condition', withStatement({ Condition: { NumericEquals: { 's3:max-keys': '${aws:userid}' } } }), 'NumericEquals does not support policy variables'],
    ['a bad number', withStatement({ Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }), 'NumericLessThan "s3:max-keys": "ten" is not a number'],
    ['a bad date', withStatement({ Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } }), '"tomorrow" is not a date'],
    ['a bad boolean', withStatement({ Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), '"yes" is not true or false'],
    ['a bad CIDR', withStatement({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }), '"10.0.0.0/33" is not an IP address or CIDR block'],
    ['bad base64', withStatement({ Condition: { BinaryEquals: { 'custom:payload': 'not base64!' } } }), 'is not base64'],
    ['a condition value that is no ARN', withStatement({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:x' } } }), 'is not an ARN'],
    ['an empty condition value list', withStatement({ Condition: { StringEquals: { 'aws:userid': [] } } }), 'must be a string, number, boolean or a non-empty list of them'],
    ['duplicate Sids', { Version: '2012-10-17', Statement: [statement, statement] }, 'duplicate Sid "S"'],
    ['a misspelt action (AWS would never match it)', withStatement({ Action: ['s3:PutObject', 's3:GetObjct'] }), 'Action: unknown action "s3:GetObjct" (did you mean s3:GetObject?)'],
    ['a misspelt NotAction (it would exclude nothing)', withStatement({ Action: undefined, NotAction: 's3:DeleteObjet' }), 'NotAction: unknown action "s3:DeleteObjet" (did you mean s3:DeleteObject?)'],
    ['an action pattern matching no action', withStatement({ Action: 's3:Gte*' }), 'Action: action pattern "s3:Gte*" matches no s3 action'],
    ['a misspelt STS action', withStatement({ Action: 'sts:AssumeRoleWithWebIdentty' }), 'did you mean sts:AssumeRoleWithWebIdentity?'],
  ])('rejects %s', (_name, document, fault) => {
    const error = faultOf(document);
    expect(error.fault).toContain(fault);
    expect(error.policyName).toBe('RolePolicy');
    expect(error.message).toMatch(/^Policy "RolePolicy", statement \d+ \(Sid "S"\): /);
  });

  it.each<[string, unknown, string]>([
    ['an unknown top-level element', { Version: '2012-10-17', Statement: [statement], Statements: [] }, 'unknown policy element "Statements"'],
    ['a wrong Version', { Version: '2012-10-18', Statement: [statement] }, 'unsupported Version "2012-10-18"'],
    ['a missing Statement', { Version: '2012-10-17' }, 'missing Statement'],
    ['an empty Statement', { Version: '2012-10-17', Statement: [] }, 'Statement is empty'],
    ['malformed JSON text', '{"Version": "2012-10-17",', 'not valid JSON'],
    ['a document that is not an object', ['Statement'], 'a policy must be a JSON object'],
  ])('rejects %s at policy level', (_name, document, fault) => {
    const error = faultOf(document);
    expect(error.fault).toContain(fault);
    expect(error.statementIndex).toBeUndefined();
    expect(error.message).toBe(`Policy "RolePolicy": ${error.fault}`);
  });

  it('locates the statement by index and Sid', () => {
    const error = faultOf({ Version: '2012-10-17', Statement: [statement, { Sid: 'Second', Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEqual: { a: 'b' } } }] });
    expect(error).toMatchObject({ statementIndex: 1, sid: 'Second' });
    expect(error.message).toBe('Policy "RolePolicy", statement 1 (Sid "Second"): unknown condition operator "StringEqual" (did you mean "StringEquals"?)');
  });

  describe('resource and trust policies', () => {
    const resourceStatement = { Sid: 'S', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' };
    it.each<[string, PolicyKind, unknown, string]>([
      ['no Principal in a bucket policy', 'resource', { Sid: 'S', Effect: 'Allow', Action: 's3:*', Resource: '*' }, 'missing Principal (or NotPrincipal)'],
      ['NotPrincipal with Allow', 'resource', { ...resourceStatement, Effect: 'Allow', Principal: undefined, NotPrincipal: { AWS: '123456789012' } }, 'NotPrincipal is allowed only with "Effect": "Deny"'],
      ['a partial wildcard principal', 'resource', { ...resourceStatement, Principal: { AWS: 'arn:aws:iam::123456789012:role/*' } }, 'wildcards are not allowed in Principal'],
      ['an unknown principal type', 'resource', { ...resourceStatement, Principal: { Aws: '*' } }, 'unknown principal type "Aws"'],
      ['a principal that is no ARN', 'resource', { ...resourceStatement, Principal: { AWS: 'bob' } }, 'is not an account id or an IAM/STS principal ARN'],
      ['a Resource in a trust policy', 'trust', { ...resourceStatement, Action: 'sts:AssumeRoleWithWebIdentity' }, 'Resource is not allowed in a trust policy'],
      ['a Principal in a boundary', 'boundary', resourceStatement, 'Principal is not allowed in a boundary policy'],
    ])('rejects %s', (_name, kind, document, fault) => {
      expect(faultOf({ Version: '2012-10-17', Statement: [document] }, kind).fault).toContain(fault);
    });
  });

  it('accepts real actions in any case, patterns matching some action, and actions of services it has no list for', () => {
    const document = withStatement({ Action: ['s3:getobject', 'S3:PutObject', 's3:Get*', 's3:*', 'ec2:DescribeInstances', 'kms:Decrypt'] });
    expect(compilePolicy(document, { name: 'P', kind: 'identity' }).statements).toHaveLength(1);
  });

  it('accepts a single statement object, list or string values and JSON text', () => {
    expect(compilePolicy(JSON.stringify({ Version: '2012-10-17', Id: 'p', Statement: statement }), { name: 'P', kind: 'identity' }).statements).toHaveLength(1);
  });
});
