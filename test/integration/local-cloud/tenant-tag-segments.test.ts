import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComposedCloud, type ComposedCloud, type SignedInIdentity } from './composed-cloud.ts';
import { expectServiceError } from '../service-error-assertions.ts';

/**
 * `{tag:tenant}` is one whole path segment on the composed cloud too: Cognito accepts `/` and
 * dots in tag values and IAM substitutes them literally, so the tenant statements themselves
 * must refuse a value like `acme/eu` (whose prefix would lie inside tenant acme's), `.` or `..`.
 */
describe('tenant tag values that are not one path segment', () => {
  let composed: ComposedCloud;
  let bucket: string;
  let acmeMember: SignedInIdentity;
  let acmeEu: SignedInIdentity;
  let dot: SignedInIdentity;
  let dotDot: SignedInIdentity;
  const seededKey = 'tenants/acme/eu/plan.txt';

  beforeAll(async () => {
    composed = await startComposedCloud();
    bucket = composed.bucket;
    [acmeMember, acmeEu, dot, dotDot] = await Promise.all([
      composed.signIn('acme-member', { tags: { tenant: 'acme' } }),
      composed.signIn('acme-eu-member', { tags: { tenant: 'acme/eu' } }),
      composed.signIn('dot-member', { tags: { tenant: '.' } }),
      composed.signIn('dot-dot-member', { tags: { tenant: '..' } }),
    ]);
    // Under acme's prefix, so an acme member may write it; an "acme/eu" identity must not reach it.
    await put(acmeMember, seededKey, 'acme eu plan');
  });
  afterAll(() => composed?.close());

  const put = (who: SignedInIdentity, key: string, body = 'x') => who.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const get = async (who: SignedInIdentity, key: string) => (await who.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  const list = (who: SignedInIdentity, prefix: string) => who.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const remove = (who: SignedInIdentity, key: string) => who.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

  it('an "acme/eu" identity cannot put, get, list or delete under tenants/acme/', async () => {
    await expectServiceError(put(acmeEu, 'tenants/acme/eu/new.txt'), 'AccessDenied', 403);
    await expectServiceError(put(acmeEu, seededKey, 'overwritten'), 'AccessDenied', 403);
    await expectServiceError(get(acmeEu, seededKey), 'AccessDenied', 403);
    await expectServiceError(remove(acmeEu, seededKey), 'AccessDenied', 403);
    for (const prefix of ['tenants/acme/eu/', 'tenants/acme/', 'tenants/']) await expectServiceError(list(acmeEu, prefix), 'AccessDenied', 403);
    expect(await get(acmeMember, seededKey)).toBe('acme eu plan');
    expect((await list(acmeMember, 'tenants/acme/eu/')).Contents?.map((object) => object.Key)).toEqual([seededKey]);
  });

  it('"." and ".." tenant values get nothing under tenants/', async () => {
    for (const [who, value] of [[dot, '.'], [dotDot, '..']] as const) {
      await expectServiceError(put(who, `tenants/${value}/x.txt`), 'AccessDenied', 403);
      await expectServiceError(get(who, `tenants/${value}/x.txt`), 'AccessDenied', 403);
      await expectServiceError(list(who, `tenants/${value}/`), 'AccessDenied', 403);
      await expectServiceError(get(who, seededKey), 'AccessDenied', 403);
    }
  });

  it('such identities keep their own prefix: only the tenant statements refuse them', async () => {
    for (const who of [acmeEu, dot, dotDot]) {
      await put(who, `${who.prefix}own.txt`, 'mine');
      expect(await get(who, `${who.prefix}own.txt`)).toBe('mine');
    }
  });
});
