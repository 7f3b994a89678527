import { describe, expect, it } from 'vitest';
import { InputReader, type MapConstraints, type StringConstraints } from '../../../infra/local/cognito/protocol/input-reader.ts';

const POOL_ID: StringConstraints = { min: 1, max: 55, pattern: '[\\w-]+:[0-9a-f-]+' };
const NAME: StringConstraints = { min: 2, max: 5 };
const LOGINS: MapConstraints = { maxEntries: 2, key: { min: 1, max: 10 }, value: { min: 1, max: 8 }, sensitive: true };
const TAGS: MapConstraints = { maxEntries: 3, key: { min: 1, max: 10, pattern: '[a-z]*' }, value: { min: 1, max: 4 } };

/** The Cognito error a call throws, by its wire `__type` (fails the test if it returns). */
function thrown(call: () => unknown): { type: string; message: string } {
  try {
    call();
  } catch (error) {
    return error as { type: string; message: string };
  }
  throw new Error('expected the call to throw');
}

/** Runs `read` and then `finish`, as every operation parser does. */
function readAll<T>(input: Record<string, unknown>, read: (reader: InputReader) => T): T {
  const reader = new InputReader(input);
  const value = read(reader);
  reader.finish();
  return value;
}

describe('InputReader', () => {
  it('returns valid members as given and finishes without error', () => {
    const input = { IdentityPoolId: 'eu-west-1:0c9e8a34-1d6d', Name: 'abc', Logins: { 'p.example': 'token' }, Count: 3, Ids: ['eu-west-1:ab'] };
    const read = readAll(input, (reader) => ({
      pool: reader.requiredString('IdentityPoolId', POOL_ID),
      name: reader.optionalString('Name', NAME),
      logins: reader.optionalStringMap('Logins', LOGINS),
      count: reader.optionalInteger('Count', { min: 1, max: 60 }),
      ids: reader.requiredStringList('Ids', { minItems: 1, maxItems: 2, item: POOL_ID }),
    }));
    expect(read).toEqual({ pool: 'eu-west-1:0c9e8a34-1d6d', name: 'abc', logins: { 'p.example': 'token' }, count: 3, ids: ['eu-west-1:ab'] });
  });

  it('treats a missing member and JSON null alike: absent for optional ones, "must not be null" for required ones', () => {
    expect(readAll({ Name: null }, (reader) => reader.optionalString('Name', NAME))).toBeUndefined();
    expect(readAll({}, (reader) => reader.optionalStringMap('Logins', LOGINS))).toBeUndefined();
    expect(readAll({ Count: null }, (reader) => reader.optionalInteger('Count', { min: 1, max: 2 }))).toBeUndefined();
    const error = thrown(() => readAll({ IdentityPoolId: null }, (reader) => reader.requiredString('IdentityPoolId', POOL_ID)));
    expect(error.type).toBe('InvalidParameterException');
    expect(error.message).toBe("1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null");
  });

  it('collects every violation into one InvalidParameterException, in AWS\'s wording with camelCase member paths', () => {
    const error = thrown(() =>
      readAll({ IdentityPoolId: 'no colon', Name: 'toolong', MaxResults: 0 }, (reader) => {
        reader.requiredString('IdentityPoolId', POOL_ID);
        reader.optionalString('Name', NAME);
        reader.optionalInteger('MaxResults', { min: 1, max: 60 });
        reader.requiredStringMap('Logins', LOGINS);
      }),
    );
    expect(error.type).toBe('InvalidParameterException');
    expect(error.message).toBe(
      '4 validation errors detected: ' +
        "Value 'no colon' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+; " +
        "Value 'toolong' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5; " +
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        "Value null at 'logins' failed to satisfy constraint: Member must not be null",
    );
  });

  it('matches patterns against the whole value, not a part of it', () => {
    const error = thrown(() => readAll({ IdentityPoolId: 'x eu-west-1:ab y' }, (reader) => reader.requiredString('IdentityPoolId', POOL_ID)));
    expect(error.message).toContain('Member must satisfy regular expression pattern');
    expect(() => readAll({ IdentityPoolId: 'eu-west-1:ab' }, (reader) => reader.requiredString('IdentityPoolId', POOL_ID))).not.toThrow();
  });

  it('reports an empty string as too short, not as a pattern mismatch', () => {
    const error = thrown(() => readAll({ IdentityPoolId: '' }, (reader) => reader.requiredString('IdentityPoolId', POOL_ID)));
    expect(error.message).toBe("1 validation error detected: Value '' at 'identityPoolId' failed to satisfy constraint: Member must have length greater than or equal to 1");
  });

  it('counts length in code points, as AWS does (an emoji is one character, not two UTF-16 units)', () => {
    expect(readAll({ Name: '\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}' }, (reader) => reader.optionalString('Name', NAME))).toHaveLength(10);
    expect(thrown(() => readAll({ Name: '\u{1F600}' }, (reader) => reader.optionalString('Name', NAME))).message).toContain('Member must have length greater than or equal to 2');
  });

  it('refuses a member of the wrong JSON type at once with a SerializationException, before other violations', () => {
    const cases: Array<[Record<string, unknown>, (reader: InputReader) => unknown, string]> = [
      [{ Name: 5 }, (reader) => reader.optionalString('Name', NAME), 'Name must be a string.'],
      [{ Count: '5' }, (reader) => reader.optionalInteger('Count', { min: 1, max: 9 }), 'Count must be an integer.'],
      [{ Count: 1.5 }, (reader) => reader.optionalInteger('Count', { min: 1, max: 9 }), 'Count must be an integer.'],
      [{ Logins: ['a'] }, (reader) => reader.optionalStringMap('Logins', LOGINS), 'Logins must be an object of strings.'],
      [{ Logins: 'a' }, (reader) => reader.optionalStringMap('Logins', LOGINS), 'Logins must be an object of strings.'],
      [{ Logins: { p: 1 } }, (reader) => reader.optionalStringMap('Logins', LOGINS), 'Logins.p must be a string.'],
      [{ Ids: 'a' }, (reader) => reader.requiredStringList('Ids', { minItems: 1, maxItems: 2, item: NAME }), 'Ids must be a list of strings.'],
      [{ Ids: ['ab', 7] }, (reader) => reader.requiredStringList('Ids', { minItems: 1, maxItems: 2, item: NAME }), 'Ids[1] must be a string.'],
    ];
    for (const [input, read, message] of cases) {
      const reader = new InputReader(input);
      reader.violation('an earlier violation');
      expect(thrown(() => read(reader)), message).toEqual(expect.objectContaining({ type: 'SerializationException', message }));
    }
  });

  it('checks integer bounds on both sides', () => {
    expect(thrown(() => readAll({ Count: 61 }, (reader) => reader.optionalInteger('Count', { min: 1, max: 60 }))).message).toBe(
      "1 validation error detected: Value '61' at 'count' failed to satisfy constraint: Member must have value less than or equal to 60",
    );
    expect(readAll({ Count: 60 }, (reader) => reader.optionalInteger('Count', { min: 1, max: 60 }))).toBe(60);
  });

  it('checks map size, keys and values, and never echoes a sensitive value (a token) in the message', () => {
    const logins = thrown(() => readAll({ Logins: { a: 'secret-token-value', b: 'x', c: 'y' } }, (reader) => reader.optionalStringMap('Logins', LOGINS)));
    expect(logins.message).toBe(
      '2 validation errors detected: ' +
        "Value at 'logins' failed to satisfy constraint: Member must have at most 2 entries (it has 3); " +
        "Value at 'logins.a' failed to satisfy constraint: Member must have length less than or equal to 8",
    );
    expect(logins.message).not.toContain('secret-token-value');

    const tags = thrown(() => readAll({ Tags: { Bad: 'v', ok: 'value' } }, (reader) => reader.optionalStringMap('Tags', TAGS)));
    expect(tags.message).toBe(
      '2 validation errors detected: ' +
        "Value 'Bad' at 'tags key' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]*; " +
        "Value 'value' at 'tags.ok' failed to satisfy constraint: Member must have length less than or equal to 4",
    );
  });

  it('shortens long values in messages to 64 characters', () => {
    const long = 'x'.repeat(100);
    const error = thrown(() => readAll({ Name: long }, (reader) => reader.optionalString('Name', NAME)));
    expect(error.message).toContain(`Value '${'x'.repeat(64)}...' at 'name'`);
    expect(error.message).not.toContain('x'.repeat(65));
  });

  it('checks list length and each item, naming items by their 1-based position', () => {
    expect(thrown(() => readAll({ Ids: [] }, (reader) => reader.requiredStringList('Ids', { minItems: 1, maxItems: 2, item: NAME }))).message).toBe(
      "1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have between 1 and 2 items (it has 0)",
    );
    expect(thrown(() => readAll({ Ids: ['ok', 'x'] }, (reader) => reader.requiredStringList('Ids', { minItems: 1, maxItems: 2, item: NAME }))).message).toBe(
      "1 validation error detected: Value 'x' at 'ids.2.member' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    expect(thrown(() => readAll({}, (reader) => reader.requiredStringList('Ids', { minItems: 1, maxItems: 2, item: NAME }))).message).toContain("Value null at 'ids'");
  });

  it('adds rules that span members to the same report', () => {
    const error = thrown(() =>
      readAll({}, (reader) => {
        reader.optionalString('IdentityId', NAME);
        reader.violation('Either IdentityId or DeveloperUserIdentifier must be given');
      }),
    );
    expect(error).toEqual(expect.objectContaining({ type: 'InvalidParameterException', message: '1 validation error detected: Either IdentityId or DeveloperUserIdentifier must be given' }));
  });
});
