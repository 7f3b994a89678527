import { describe, expect, it } from 'vitest';
import type { ContextRecord } from '../../../infra/policy-engine/index.ts';
import { conditionHolds } from './helpers.ts';

type Row = [operator: string, policyValues: string | string[], requestValue: ContextRecord[string], expected: boolean];

function table(key: string, rows: Row[]) {
  it.each(rows)(`%s %j against %j -> %s`, (operator, policyValues, requestValue, expected) => {
    expect(conditionHolds({ [operator]: { [key]: policyValues } }, requestValue === undefined ? {} : { [key]: requestValue })).toBe(expected);
  });
}

describe('string operators', () => {
  table('aws:PrincipalTag/team', [
    ['StringEquals', 'blue', 'blue', true],
    ['StringEquals', 'blue', 'Blue', false],
    ['StringEquals', ['red', 'blue'], 'blue', true],
    ['StringEquals', 'blu*', 'blue', false],
    ['StringEquals', 'blu*', 'blu*', true],
    ['StringEquals', 'blue', undefined, false],
    ['StringNotEquals', 'blue', 'red', true],
    ['StringNotEquals', ['red', 'blue'], 'blue', false],
    ['StringNotEquals', ['red', 'blue'], 'green', true],
    ['StringNotEquals', 'blue', undefined, true],
    ['StringEqualsIgnoreCase', 'BLUE', 'blue', true],
    ['StringNotEqualsIgnoreCase', 'BLUE', 'blue', false],
    ['StringNotEqualsIgnoreCase', 'BLUE', 'red', true],
    ['StringLike', 'home/*', 'home/a/b', true],
    ['StringLike', 'home/*', 'Home/a', false],
    ['StringLike', 'file?.txt', 'file1.txt', true],
    ['StringLike', 'file?.txt', 'file12.txt', false],
    ['StringLike', '*', '', true],
    ['StringLike', 'a*b*c', 'axxbyyc', true],
    ['StringLike', 'a*b*c', 'axxcyyb', false],
    ['StringNotLike', ['home/*', 'tmp/*'], 'etc/passwd', true],
    ['StringNotLike', ['home/*', 'tmp/*'], 'tmp/x', false],
    ['StringNotLike', 'home/*', undefined, true],
    // The access rules' "one path segment" test on a tag value: true only when no value matches (NOR).
    ['StringNotLike', ['*/*', '.', '..'], 'acme', true],
    ['StringNotLike', ['*/*', '.', '..'], 'acme.eu', true],
    ['StringNotLike', ['*/*', '.', '..'], '...', true],
    ['StringNotLike', ['*/*', '.', '..'], 'acme/eu', false],
    ['StringNotLike', ['*/*', '.', '..'], '/acme', false],
    ['StringNotLike', ['*/*', '.', '..'], 'acme/', false],
    ['StringNotLike', ['*/*', '.', '..'], '/', false],
    ['StringNotLike', ['*/*', '.', '..'], '.', false],
    ['StringNotLike', ['*/*', '.', '..'], '..', false],
    ['StringEqualsIfExists', 'blue', undefined, true],
    ['StringEqualsIfExists', 'blue', 'red', false],
    ['StringNotEqualsIfExists', 'blue', 'blue', false],
  ]);
});

describe('numeric operators', () => {
  table('s3:max-keys', [
    ['NumericEquals', '10', '10', true],
    ['NumericEquals', '10', '10.0', true],
    ['NumericEquals', '10', 'ten', false],
    ['NumericNotEquals', '10', '11', true],
    ['NumericNotEquals', '10', '10', false],
    ['NumericLessThan', '10', '9', true],
    ['NumericLessThan', '10', '10', false],
    ['NumericLessThanEquals', '10', '10', true],
    ['NumericGreaterThan', '10', '11', true],
    ['NumericGreaterThan', '10', '10', false],
    ['NumericGreaterThanEquals', '10', '10', true],
    ['NumericGreaterThanEquals', '-1.5', '-2', false],
    ['NumericLessThan', '10', undefined, false],
    ['NumericLessThanIfExists', '10', undefined, true],
  ]);
});

describe('date operators', () => {
  table('aws:CurrentTime', [
    ['DateEquals', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', true],
    ['DateEquals', '2020-01-01T00:00:00Z', '1577836800', true],
    ['DateNotEquals', '2020-01-01T00:00:00Z', '2020-01-02T00:00:00Z', true],
    ['DateLessThan', '2020-01-01T00:00:00Z', '2019-12-31T23:59:59Z', true],
    ['DateLessThan', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', false],
    ['DateLessThanEquals', '2020-01-01', '2020-01-01T00:00:00Z', true],
    ['DateGreaterThan', '1577836800', '2020-06-01T12:00:00+02:00', true],
    ['DateGreaterThanEquals', '2020-01-01T00:00:00Z', '2019-01-01T00:00:00Z', false],
    ['DateLessThan', '2020-01-01T00:00:00Z', 'yesterday', false],
  ]);
});

describe('Bool, BinaryEquals, IP address and Null operators', () => {
  table('aws:SecureTransport', [
    ['Bool', 'true', 'true', true],
    ['Bool', 'false', 'true', false],
    ['Bool', 'false', 'FALSE', true],
    ['Bool', 'false', undefined, false],
    ['BoolIfExists', 'false', undefined, true],
  ]);
  table('custom:payload', [
    ['BinaryEquals', 'QmluYXJ5VmFsdWU=', 'QmluYXJ5VmFsdWU=', true],
    ['BinaryEquals', 'QmluYXJ5VmFsdWU=', 'T3RoZXI=', false],
  ]);
  table('aws:SourceIp', [
    ['IpAddress', '203.0.113.0/24', '203.0.113.77', true],
    ['IpAddress', '203.0.113.0/24', '203.0.114.1', false],
    ['IpAddress', '203.0.113.7', '203.0.113.7', true],
    ['IpAddress', ['10.0.0.0/8', '192.168.0.0/16'], '192.168.4.2', true],
    ['IpAddress', '2001:db8::/32', '2001:db8:1234::1', true],
    ['IpAddress', '2001:db8::/32', '2001:db9::1', false],
    ['IpAddress', '2001:db8::/32', '203.0.113.7', false],
    ['IpAddress', '0.0.0.0/0', 'not-an-ip', false],
    ['NotIpAddress', '203.0.113.0/24', '198.51.100.1', true],
    ['NotIpAddress', ['203.0.113.0/24', '198.51.100.0/24'], '198.51.100.1', false],
    ['NotIpAddress', '203.0.113.0/24', undefined, true],
  ]);
  table('aws:TokenIssueTime', [
    ['Null', 'true', undefined, true],
    ['Null', 'true', '2020-01-01T00:00:00Z', false],
    ['Null', 'false', '2020-01-01T00:00:00Z', true],
    ['Null', 'false', undefined, false],
    ['Null', 'true', [], true],
  ]);
});

describe('ARN operators', () => {
  table('aws:SourceArn', [
    ['ArnEquals', 'arn:aws:sns:us-east-1:123456789012:topic', 'arn:aws:sns:us-east-1:123456789012:topic', true],
    ['ArnEquals', 'arn:aws:sns:us-east-1:123456789012:topic', 'arn:aws:sns:us-east-1:123456789012:Topic', false],
    ['ArnLike', 'arn:aws:sns:*:123456789012:*', 'arn:aws:sns:eu-west-1:123456789012:a:b', true],
    ['ArnLike', 'arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b', true],
    ['ArnLike', 'arn:aws:*:us-east-1:123456789012:x', 'arn:aws:sns:us-east-1:123456789012:x', true],
    // Components are matched one by one; only the resource part (after the fifth colon) may hold more colons.
    ['ArnLike', 'arn:aws:sns:*:*:x', 'arn:aws:sns:us-east-1:123456789012:extra:x', false],
    ['ArnLike', 'arn:aws:sns:*:*:*x', 'arn:aws:sns:us-east-1:123456789012:extra:x', true],
    ['ArnLike', 'arn:aws:sns:us-*:123456789012:x', 'arn:aws:sns:eu-west-1:123456789012:x', false],
    ['ArnLike', 'arn:aws:sns:*:*:*', 'not-an-arn', false],
    ['ArnNotEquals', 'arn:aws:sns:us-east-1:123456789012:topic', 'arn:aws:sns:us-east-1:123456789012:other', true],
    ['ArnNotLike', 'arn:aws:sns:*:123456789012:*', 'arn:aws:sns:us-east-1:123456789012:x', false],
    ['ArnNotLike', 'arn:aws:sns:*:123456789012:*', undefined, true],
  ]);
});

describe('set operators on multi-valued keys', () => {
  const key = 'aws:TagKeys';
  table(key, [
    ['ForAllValues:StringEquals', ['env', 'team'], ['env'], true],
    ['ForAllValues:StringEquals', ['env', 'team'], ['env', 'team'], true],
    ['ForAllValues:StringEquals', ['env', 'team'], ['env', 'cost'], false],
    // Documented: ForAllValues is true when the key is missing or its set is empty.
    ['ForAllValues:StringEquals', ['env', 'team'], undefined, true],
    ['ForAllValues:StringEquals', ['env', 'team'], [], true],
    ['ForAnyValue:StringEquals', ['env', 'team'], ['cost', 'team'], true],
    ['ForAnyValue:StringEquals', ['env', 'team'], ['cost'], false],
    // Documented: ForAnyValue is false when the key is missing or its set is empty.
    ['ForAnyValue:StringEquals', ['env', 'team'], undefined, false],
    ['ForAnyValue:StringEquals', ['env', 'team'], [], false],
    ['ForAnyValue:StringEqualsIfExists', ['env'], undefined, true],
    ['ForAllValues:StringLike', ['env*', 'team'], ['env-a', 'env-b'], true],
    ['ForAllValues:StringNotEquals', ['secret'], ['env', 'team'], true],
    ['ForAllValues:StringNotEquals', ['secret'], ['env', 'secret'], false],
    ['ForAnyValue:StringNotEquals', ['secret'], ['env', 'secret'], true],
    ['ForAnyValue:StringNotEquals', ['secret'], ['secret'], false],
    // Without a set operator a multi-valued key matches when any value does; negated operators when none does.
    ['StringEquals', 'env', ['env', 'team'], true],
    ['StringNotEquals', 'env', ['env', 'team'], false],
    ['StringNotEquals', 'secret', ['env', 'team'], true],
  ]);
});

describe('combining conditions', () => {
  it('multiple keys under one operator are ANDed', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/team': 'blue', 'aws:PrincipalTag/env': 'prod' } };
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'blue', 'aws:PrincipalTag/env': 'prod' })).toBe(true);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'blue', 'aws:PrincipalTag/env': 'dev' })).toBe(false);
  });

  it('multiple operators are ANDed', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/team': 'blue' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } };
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'blue', 'aws:SourceIp': '10.1.2.3' })).toBe(true);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'blue', 'aws:SourceIp': '11.1.2.3' })).toBe(false);
  });

  it('condition keys are case-insensitive, values are compared per operator', () => {
    expect(conditionHolds({ StringEquals: { 'AWS:PrincipalTag/Team': 'blue' } }, { 'aws:principaltag/team': 'blue' })).toBe(true);
    expect(conditionHolds({ StringEquals: { 'aws:PrincipalTag/team': 'blue' } }, { 'aws:PrincipalTag/team': 'BLUE' })).toBe(false);
    expect(conditionHolds({ Bool: { 'aws:SecureTransport': 'True' } }, { 'aws:SecureTransport': 'true' })).toBe(true);
  });

  it('numbers and booleans in policies are read as their text', () => {
    expect(conditionHolds({ NumericLessThanEquals: { 's3:max-keys': 10 } }, { 's3:max-keys': '3' })).toBe(true);
    expect(conditionHolds({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' })).toBe(true);
  });
});
