import { Hash } from '@smithy/hash-node';
import { getSigningKey } from '@smithy/signature-v4';
import { describe, expect, test } from 'vitest';
import { deriveSigningKey } from '../../../infra/local/sigv4/request-signature.ts';

const Sha256 = Hash.bind(null, 'sha256');

function sdkSigningKey(secretAccessKey: string, date: string, region: string, service: string): Promise<Uint8Array> {
  // The session token is part of the SDK's own cache key: a fresh one per call keeps its cache out of the comparison.
  return getSigningKey(Sha256, { accessKeyId: 'AKID', secretAccessKey, sessionToken: `${Math.random()}` }, date, region, service);
}

describe('the cached signing key', () => {
  test('is the key the SDK derives, on the first derivation and on a cache hit', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const scope = { date: '20261203', region: 'us-east-1', service: 's3' };
    const expected = Buffer.from(await sdkSigningKey(secret, scope.date, scope.region, scope.service));
    expect(Buffer.from(deriveSigningKey(secret, scope)).equals(expected)).toBe(true);
    expect(Buffer.from(deriveSigningKey(secret, scope)).equals(expected)).toBe(true);
  });

  test('is never shared between secrets, days, regions or services, even where joining the parts would collide', async () => {
    // Secrets may hold slashes: "a/b" for one scope must not find the entry of "b" for a scope ending in "a".
    const cases = [
      { secret: 'b', scope: { date: '20261203', region: 'us-east-1', service: 's3/a' } },
      { secret: 'a/b', scope: { date: '20261203', region: 'us-east-1', service: 's3' } },
      { secret: 'a/b', scope: { date: '20261204', region: 'us-east-1', service: 's3' } },
      { secret: 'a/b', scope: { date: '20261203', region: 'eu-west-1', service: 's3' } },
      { secret: 'a/b', scope: { date: '20261203', region: 'us-east-1', service: 'cognito-identity' } },
      { secret: 'a/bc', scope: { date: '20261203', region: 'us-east-1', service: 's3' } },
    ];
    const derived = new Set<string>();
    for (const { secret, scope } of cases) {
      const key = Buffer.from(deriveSigningKey(secret, scope));
      expect(key.equals(Buffer.from(await sdkSigningKey(secret, scope.date, scope.region, scope.service)))).toBe(true);
      derived.add(key.toString('hex'));
    }
    expect(derived.size).toBe(cases.length);
  });

  test('stays right for old entries after more distinct keys than the cache holds', async () => {
    const scope = { date: '20261203', region: 'us-east-1', service: 's3' };
    for (let index = 0; index < 5000; index += 1) deriveSigningKey(`secret-${index}`, scope);
    for (const index of [0, 1, 2500, 4999]) {
      expect(Buffer.from(deriveSigningKey(`secret-${index}`, scope)).equals(Buffer.from(await sdkSigningKey(`secret-${index}`, scope.date, scope.region, scope.service)))).toBe(true);
    }
  });
});
