import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../../token-service/http/token-service-errors.ts';
import { isValidTagKey, principalTagsFromClaims, tagValueProblem, validateClaimToTagMap } from '../../../token-service/tokens/principal-tags.ts';

describe('principal tags from session claims', () => {
  it('maps configured claims to tags and leaves absent claims out', () => {
    expect(principalTagsFromClaims({ tenant: 'acme', org: 'x' }, { tenant: 'tenant' })).toEqual({ tenant: 'acme' });
    expect(principalTagsFromClaims({ org: 'sales' }, { org: 'department', tenant: 'tenant' })).toEqual({ department: 'sales' });
    expect(principalTagsFromClaims({}, { tenant: 'tenant' })).toEqual({});
  });

  it('refuses empty values, which would collapse tenants/${tag}/ into one shared prefix', () => {
    expect(() => principalTagsFromClaims({ tenant: '' }, { tenant: 'tenant' })).toThrow(ForbiddenError);
  });

  it.each([['a:b=c+d-e@f_g.h'], ['Ünïcödé 東京 42'], ['x'.repeat(256)], ['.hidden'], ['a..b'], ['...']])('accepts the value %s', (value) => {
    expect(tagValueProblem(value)).toBeUndefined();
  });

  it.each([[''], ['x'.repeat(257)], ['a&b'], ['a*b'], ['a\nb'], ['${aws:username}'], ['a,b']])('refuses the value %j', (value) => {
    expect(tagValueProblem(value)).toEqual(expect.any(String));
    expect(() => principalTagsFromClaims({ tenant: value }, { tenant: 'tenant' })).toThrow(ForbiddenError);
  });

  it.each([['acme/eu'], ['/'], ['acme/'], ['/acme'], ['.'], ['..']])('refuses %j, which is not one whole path segment, and says why', (value) => {
    expect(tagValueProblem(value)).toEqual(expect.any(String));
    expect(() => principalTagsFromClaims({ tenant: value }, { tenant: 'tenant' })).toThrow(ForbiddenError);
    expect(() => principalTagsFromClaims({ tenant: value }, { tenant: 'tenant' })).toThrow(/one whole path segment/);
  });

  it('refuses claims that are not strings', () => {
    for (const value of [42, true, null, ['acme'], { name: 'acme' }]) expect(() => principalTagsFromClaims({ tenant: value }, { tenant: 'tenant' })).toThrow(ForbiddenError);
  });

  it('checks tag keys: 1 to 128 allowed characters, not aws:', () => {
    expect(isValidTagKey('tenant')).toBe(true);
    expect(isValidTagKey('k'.repeat(128))).toBe(true);
    for (const key of ['', 'k'.repeat(129), 'aws:tenant', 'AWS:x', 'a b*']) expect(isValidTagKey(key)).toBe(false);
    expect(() => validateClaimToTagMap({ tenant: 'aws:tenant' })).toThrow();
    expect(() => validateClaimToTagMap({ '': 'tenant' })).toThrow();
    expect(() => validateClaimToTagMap(Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`c${index}`, `t${index}`])))).toThrow();
  });
});
