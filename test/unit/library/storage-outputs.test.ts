import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../app/library/storage-errors.ts';
import { parseStorageOutputs, publishedRulesOf, type StorageOutputs } from '../../../app/library/storage-outputs.ts';

const BASE = { region: 'us-east-1', bucket: 'b', identityPoolId: 'us-east-1:pool', developerProviderName: 'dev', tokenServiceUrl: 'https://token.example/' };
const RULES = [
  { name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } },
  { name: 'shared', prefix: 'shared/', grants: { authenticated: ['read', 'list'] } },
];

function refusal(value: unknown): StorageError {
  try {
    parseStorageOutputs(value, 'outputs.json');
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('InvalidConfiguration');
    return error as StorageError;
  }
  throw new Error('expected a refusal');
}

describe('parseStorageOutputs: locations and guestsAllowed', () => {
  it('reads the local file (array, boolean) and the stack outputs (JSON text, "true")', () => {
    const local = parseStorageOutputs({ ...BASE, locations: RULES, guestsAllowed: true });
    const stack = parseStorageOutputs({ MyStack: { ...BASE, locations: JSON.stringify(RULES), guestsAllowed: 'true' } });
    expect(local.locations).toEqual(RULES);
    expect(stack.locations).toEqual(RULES);
    expect(local.guestsAllowed).toBe(true);
    expect(stack.guestsAllowed).toBe(true);
    expect(parseStorageOutputs({ ...BASE, locations: RULES, guestsAllowed: 'false' }).guestsAllowed).toBe(false);
    expect(local.tokenServiceUrl).toBe('https://token.example');
  });

  it('outputs from before locations read as the single private rule, no guests', () => {
    const outputs = parseStorageOutputs(BASE);
    expect(outputs.locations).toEqual([{ name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } }]);
    expect(outputs.guestsAllowed).toBe(false);
  });

  it('a rule without a name is named after its first literal segment, lower-cased', () => {
    const outputs = parseStorageOutputs({ ...BASE, locations: [{ prefix: 'Shared/', grants: { authenticated: ['read'] } }, { prefix: '{tag:tenant}/docs/', grants: { tenantMembers: ['read'] } }] });
    expect(outputs.locations?.map((rule) => rule.name)).toEqual(['shared', 'docs']);
  });

  it('outputs an app writes by hand without locations read as the own folder only, and without guests', () => {
    const handWritten: StorageOutputs = { ...BASE };
    expect(publishedRulesOf(handWritten)).toEqual([{ name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } }]);
    expect(handWritten.guestsAllowed ?? false).toBe(false);
  });

  it('refuses unknown grantees and permissions, naming them', () => {
    expect(refusal({ ...BASE, locations: [{ name: 'x', prefix: 'x/', grants: { everyone: ['read'] } }] }).message).toContain('unknown grantee "everyone"');
    expect(refusal({ ...BASE, locations: [{ name: 'x', prefix: 'x/', grants: { authenticated: ['read', 'admin'] } }] }).message).toContain('unknown permission "admin"');
  });

  it('refuses malformed locations', () => {
    expect(refusal({ ...BASE, locations: '[not json' }).message).toContain('not valid JSON');
    expect(refusal({ ...BASE, locations: [] }).message).toContain('non-empty array');
    expect(refusal({ ...BASE, locations: {} }).message).toContain('non-empty array');
    expect(refusal({ ...BASE, locations: ['x'] }).message).toContain('locations[0]');
    expect(refusal({ ...BASE, locations: [{ name: 'x', grants: { authenticated: ['read'] } }] }).message).toContain('without a "prefix"');
    expect(refusal({ ...BASE, locations: [{ name: 'x', prefix: 'x', grants: { authenticated: ['read'] } }] }).message).toContain('does not end with "/"');
    expect(refusal({ ...BASE, locations: [{ name: 'x', prefix: 'a/{identityId}x/', grants: { owner: ['read'] } }] }).message).toContain('not a rule prefix');
    expect(refusal({ ...BASE, locations: [{ name: 'Bad Name', prefix: 'x/', grants: { authenticated: ['read'] } }] }).message).toContain('not a location name');
    expect(refusal({ ...BASE, locations: [{ prefix: '{identityId}/', grants: { owner: ['read'] } }] }).message).toContain('not a location name');
    expect(refusal({ ...BASE, locations: [RULES[1], RULES[1]] }).message).toContain('unique');
    expect(refusal({ ...BASE, locations: [{ name: 'x', prefix: 'x/' }] }).message).toContain('without grants');
    expect(refusal({ ...BASE, locations: [{ name: 'x', prefix: 'x/', grants: { authenticated: 'read' } }] }).message).toContain('not a list');
    expect(refusal({ ...BASE, guestsAllowed: 'yes' }).message).toContain('guestsAllowed');
  });
});
