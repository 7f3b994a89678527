import { describe, expect, test } from 'vitest';
import { checkPostPolicy, parsePostPolicy } from '../../../infra/local/s3/protocol/post-policy.ts';

const NOW = new Date('2026-01-01T00:00:00Z');
const LATER = '2026-01-01T01:00:00Z';

function encode(document: unknown): string {
  return Buffer.from(typeof document === 'string' ? document : JSON.stringify(document)).toString('base64');
}

function check(conditions: unknown[], fields: Record<string, string>, options: { bucket?: string; key?: string; expiration?: string } = {}) {
  const policy = parsePostPolicy(encode({ expiration: options.expiration ?? LATER, conditions }));
  const lowerCased = new Map(Object.entries(fields).map(([name, value]) => [name.toLowerCase(), value]));
  return checkPostPolicy(policy, { fields: lowerCased, bucket: options.bucket ?? 'bucket', key: options.key ?? fields.key ?? '' }, NOW);
}

function failureOf(run: () => unknown): { code?: string; message?: string } {
  try {
    run();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  return {};
}

describe('POST policy: parsing', () => {
  test('base64 JSON with expiration and conditions', () => {
    const policy = parsePostPolicy(encode({ expiration: LATER, conditions: [{ key: 'a' }, ['starts-with', '$Content-Type', 'image/'], ['content-length-range', 1, 10]] }));
    expect(policy.expiration.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    expect(policy.conditions.map((condition) => condition.kind)).toEqual(['eq', 'starts-with', 'content-length-range']);
  });

  test.each([
    ['not base64', 'not base64!', 'Invalid Policy: Invalid Base64 encoding.'],
    ['not JSON', encode('{"expiration":'), 'Invalid Policy: Invalid JSON.'],
    ['an array', encode([]), 'Invalid Policy: Invalid JSON.'],
    ['no expiration', encode({ conditions: [] }), 'Invalid Policy: Policy missing expiration.'],
    ['a bad expiration', encode({ expiration: 'tomorrow', conditions: [] }), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"],
    ['no conditions', encode({ expiration: LATER }), 'Invalid Policy: Policy missing conditions.'],
    ['conditions not a list', encode({ expiration: LATER, conditions: {} }), 'Invalid Policy: Invalid conditions.'],
    ['a reversed length range', encode({ expiration: LATER, conditions: [['content-length-range', 10, 1]] }), 'Invalid Policy: Invalid content-length-range: ["content-length-range", 10, 1]'],
    ['a negative length', encode({ expiration: LATER, conditions: [['content-length-range', -1, 1]] }), 'Invalid Policy: Invalid content-length-range: ["content-length-range", -1, 1]'],
  ])('%s is InvalidPolicyDocument', (_name, encoded, message) => {
    expect(failureOf(() => parsePostPolicy(encoded))).toEqual({ code: 'InvalidPolicyDocument', message });
  });
});

describe('POST policy: conditions', () => {
  test('an expired policy fails before its conditions', () => {
    expect(failureOf(() => check([{ key: 'other' }], { key: 'a' }, { expiration: '2025-12-31T23:59:59Z' }))).toEqual({ code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });

  test('exact match as an object and as eq; field names are case-insensitive, values are not', () => {
    expect(check([{ key: 'a' }, ['eq', '$Content-Type', 'image/png']], { key: 'a', 'content-type': 'image/png' })).toEqual({ minBytes: 0, maxBytes: Number.POSITIVE_INFINITY });
    expect(failureOf(() => check([{ key: 'a' }, ['eq', '$Content-Type', 'image/png']], { key: 'a', 'Content-Type': 'IMAGE/PNG' })).message).toBe(
      'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]',
    );
  });

  test('starts-with: a prefix, "" for any value, and every item of a Content-Type list', () => {
    expect(() => check([['starts-with', '$key', 'users/a/'], ['starts-with', '$Content-Type', '']], { key: 'users/a/x', 'Content-Type': 'anything' })).not.toThrow();
    expect(failureOf(() => check([['starts-with', '$key', 'users/a/']], { key: 'users/ab/x' })).code).toBe('AccessDenied');
    expect(() => check([{ key: 'k' }, ['starts-with', '$Content-Type', 'image/']], { key: 'k', 'Content-Type': 'image/png, image/gif' })).not.toThrow();
    expect(failureOf(() => check([{ key: 'k' }, ['starts-with', '$Content-Type', 'image/']], { key: 'k', 'Content-Type': 'image/png, text/html' })).code).toBe('AccessDenied');
  });

  test('prefix confusion: starts-with "users/abc/" does not admit "users/abcd/"', () => {
    expect(failureOf(() => check([['starts-with', '$key', 'users/abc/']], { key: 'users/abcd/x' })).message).toBe('Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "users/abc/"]');
  });

  test('starts-with only on the fields S3 allows it for (not success_action_status, not x-amz-credential)', () => {
    expect(failureOf(() => check([{ key: 'k' }, ['starts-with', '$success_action_status', '']], { key: 'k', success_action_status: '201' })).code).toBe('AccessDenied');
    expect(failureOf(() => check([{ key: 'k' }, ['starts-with', '$x-amz-credential', '']], { key: 'k', 'x-amz-credential': 'x' })).code).toBe('AccessDenied');
    expect(() => check([{ key: 'k' }, ['starts-with', '$x-amz-meta-tag', 'a']], { key: 'k', 'x-amz-meta-tag': 'ab' })).not.toThrow();
  });

  test('a condition on a field the form lacks fails', () => {
    expect(failureOf(() => check([{ key: 'k' }, ['starts-with', '$Content-Type', '']], { key: 'k' })).message).toBe('Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", ""]');
  });

  test('the bucket condition is matched against the request bucket', () => {
    expect(() => check([{ bucket: 'mine' }, { key: 'k' }], { key: 'k', bucket: 'mine' }, { bucket: 'mine' })).not.toThrow();
    expect(failureOf(() => check([{ bucket: 'mine' }, { key: 'k' }], { key: 'k', bucket: 'mine' }, { bucket: 'theirs' })).message).toBe('Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "mine"]');
  });

  test('the key condition is matched against the key after ${filename}', () => {
    expect(() => check([['eq', '$key', 'users/a/photo.jpg']], { key: 'users/a/${filename}' }, { key: 'users/a/photo.jpg' })).not.toThrow();
  });

  test('content-length-range conditions intersect (numbers or digit strings)', () => {
    expect(check([{ key: 'k' }, ['content-length-range', 1, 100], ['content-length-range', '10', '1000']], { key: 'k' })).toEqual({ minBytes: 10, maxBytes: 100 });
  });

  test('every field but x-amz-signature, file, policy and x-ignore-* must be named by a condition', () => {
    expect(() => check([{ key: 'k' }], { key: 'k', policy: 'p', 'x-amz-signature': 's', 'x-ignore-anything': 'v' })).not.toThrow();
    expect(failureOf(() => check([{ key: 'k' }], { key: 'k', acl: 'private' })).message).toBe('Invalid according to Policy: Extra input fields: acl');
  });

  test('conditions S3 cannot interpret fail: unknown operators, wrong arity, values that are not strings, a field without $', () => {
    for (const condition of [['matches', '$key', 'k'], ['eq', '$key'], ['eq', 'key', 'k'], ['eq', '$key', 1], { key: 5 }, 'key', null]) {
      expect(failureOf(() => check([{ key: 'k' }, condition], { key: 'k' })).message).toMatch(/^Invalid according to Policy: Policy Condition failed: /);
    }
  });
});
