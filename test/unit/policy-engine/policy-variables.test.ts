import { describe, expect, it } from 'vitest';
import { decide } from './helpers.ts';

const SUB = 'cognito-identity.amazonaws.com:sub';

describe('policy variables in Resource', () => {
  const ownPrefix = { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/users/\${${SUB}}/*` };

  it.each([
    ['arn:aws:s3:::b/users/abc/x', 'Allow'],
    ['arn:aws:s3:::b/users/abc/deep/x', 'Allow'],
    // Prefix confusion: identity abc never reaches abcd.
    ['arn:aws:s3:::b/users/abcd/x', 'ImplicitDeny'],
    ['arn:aws:s3:::b/users/ab/c/x', 'ImplicitDeny'],
    ['arn:aws:s3:::b/users/ABC/x', 'ImplicitDeny'],
  ])('identity abc and %s -> %s', (resource, decision) => {
    expect(decide(ownPrefix, { resource, context: { [SUB]: 'abc' } }).decision).toBe(decision);
  });

  it('reports the variables it resolved', () => {
    expect(decide(ownPrefix, { resource: 'arn:aws:s3:::b/users/abc/x', context: { [SUB]: 'abc' } }).variables).toEqual({ [SUB]: 'abc' });
  });

  it('a value containing wildcard characters is literal text, not a pattern', () => {
    expect(decide(ownPrefix, { resource: 'arn:aws:s3:::b/users/zz/x', context: { [SUB]: '*' } }).decision).toBe('ImplicitDeny');
    expect(decide(ownPrefix, { resource: 'arn:aws:s3:::b/users/*/x', context: { [SUB]: '*' } }).decision).toBe('Allow');
  });

  it('a missing key without default makes the entry not match, and is reported as unresolved', () => {
    const result = decide(ownPrefix, { resource: 'arn:aws:s3:::b/users//x', context: {} });
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.variables).toEqual({ [SUB]: null });
  });

  it('an unresolvable entry does not stop other entries from matching', () => {
    const statement = { ...ownPrefix, Resource: [ownPrefix.Resource, 'arn:aws:s3:::b/public/*'] };
    expect(decide(statement, { resource: 'arn:aws:s3:::b/public/x' }).decision).toBe('Allow');
  });

  it('NotResource with an unresolvable entry does not apply', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', NotResource: `arn:aws:s3:::b/users/\${${SUB}}/*` };
    expect(decide(statement, { resource: 'arn:aws:s3:::b/other' }).decision).toBe('ImplicitDeny');
    expect(decide(statement, { resource: 'arn:aws:s3:::b/other', context: { [SUB]: 'abc' } }).decision).toBe('Allow');
  });

  it.each([
    ['tag present', { 'aws:PrincipalTag/tenant': 'acme' }, 'arn:aws:s3:::b/tenants/acme/x', 'Allow'],
    ['tag absent, default used', {}, 'arn:aws:s3:::b/tenants/none/x', 'Allow'],
    ['tag absent, other prefix', {}, 'arn:aws:s3:::b/tenants/acme/x', 'ImplicitDeny'],
    ['multi-valued key cannot be a variable: default used', { 'aws:PrincipalTag/tenant': ['acme', 'other'] }, 'arn:aws:s3:::b/tenants/none/x', 'Allow'],
  ])('defaults: %s', (_name, context, resource, decision) => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: "arn:aws:s3:::b/tenants/${aws:PrincipalTag/tenant, 'none'}/*" };
    expect(decide(statement, { resource, context }).decision).toBe(decision);
  });

  it('a default may contain quotes written as two quotes', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: "arn:aws:s3:::b/${aws:username, 'it''s'}" };
    expect(decide(statement, { resource: "arn:aws:s3:::b/it's" }).decision).toBe('Allow');
  });

  it('variable names are case-insensitive', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${AWS:UserID}/*' };
    expect(decide(statement, { resource: 'arn:aws:s3:::b/AIDA123/x', context: { 'aws:userid': 'AIDA123' } }).decision).toBe('Allow');
  });

  it.each([
    ['${*}', 'arn:aws:s3:::b/a*b', 'arn:aws:s3:::b/axxb'],
    ['${?}', 'arn:aws:s3:::b/a?b', 'arn:aws:s3:::b/axb'],
    ['${$}', 'arn:aws:s3:::b/a$b', 'arn:aws:s3:::b/a$c'],
  ])('the escape %s is a literal character', (escape, literal, other) => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/a${escape}b` };
    expect(decide(statement, { resource: literal }).decision).toBe('Allow');
    expect(decide(statement, { resource: other }).decision).toBe('ImplicitDeny');
  });
});

describe('policy variables in conditions', () => {
  const listOwnPrefix = {
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: 'arn:aws:s3:::b',
    Condition: { StringLike: { 's3:prefix': [`users/\${${SUB}}/`, `users/\${${SUB}}/*`] } },
  };

  it.each([
    ['users/abc/', 'Allow'],
    ['users/abc/photos/', 'Allow'],
    ['users/abcd/', 'ImplicitDeny'],
    ['users/', 'ImplicitDeny'],
  ])('list with s3:prefix %s -> %s', (prefix, decision) => {
    expect(decide(listOwnPrefix, { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { [SUB]: 'abc', 's3:prefix': prefix } }).decision).toBe(decision);
  });

  it('StringEquals against another key value', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 's3:ExistingObjectTag/owner': '${aws:userid}' } } };
    expect(decide(statement, { context: { 'aws:userid': 'u1', 's3:ExistingObjectTag/owner': 'u1' } }).decision).toBe('Allow');
    expect(decide(statement, { context: { 'aws:userid': 'u1', 's3:ExistingObjectTag/owner': 'u2' } }).decision).toBe('ImplicitDeny');
  });

  it('a negated operator whose value cannot be resolved does not hold', () => {
    const statement = { Effect: 'Deny', Action: 's3:GetObject', Resource: '*', Condition: { StringNotEquals: { 's3:ExistingObjectTag/owner': '${aws:userid}' } } };
    const allow = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
    expect(decide([allow, statement], { context: { 's3:ExistingObjectTag/owner': 'u2' } }).decision).toBe('Allow');
    expect(decide([allow, statement], { context: { 'aws:userid': 'u1', 's3:ExistingObjectTag/owner': 'u2' } }).decision).toBe('ExplicitDeny');
  });

  it('ArnLike substitutes variables too', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:${aws:PrincipalAccount}:*' } } };
    expect(decide(statement, { context: { 'aws:PrincipalAccount': '123456789012', 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:t' } }).decision).toBe('Allow');
  });
});

describe('policy language 2008-10-17', () => {
  it('needs no variables and evaluates normally', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };
    expect(decide(statement, { resource: 'arn:aws:s3:::b/x' }).decision).toBe('Allow');
  });
});
