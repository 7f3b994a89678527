import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { ObjectStore } from '../../../infra/local/s3/model/object-store.ts';
import { startComposedCloud, type ComposedCloud, type SignedInIdentity } from '../local-cloud/composed-cloud.ts';

export interface LocalCdnFixture {
  composed: ComposedCloud;
  cdnUrl: string;
  keyPairId: string;
  privateKeyPem: string;
  alice: SignedInIdentity;
  bob: SignedInIdentity;
  /** Keys written before the cloud started, outside every location (no behaviour or bucket policy statement delivers them). */
  undeliveredKey: string;
  /** A signed URL (canned policy unless a custom one is asked for), SHA256 as the token service signs. */
  signUrl(key: string, options?: { expiresInSeconds?: number; ipAddress?: string; dateGreaterThan?: Date; privateKeyPem?: string; keyPairId?: string; query?: string }): string;
  /** Signed cookies for a custom policy on `resource` (`<cdnUrl>/<pattern>`), as a Cookie header. */
  signCookies(resourcePattern: string, options?: { expiresInSeconds?: number }): string;
  put(identity: SignedInIdentity, key: string, body: Buffer | string, contentType?: string): Promise<void>;
  close(): Promise<void>;
}

/** An RSA key the distribution does not trust. */
export const foreignPrivateKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * The composed local cloud with delivery on: its stack synthesized with the distribution, the CDN
 * on its own port, and a key outside every location seeded into the bucket before the start.
 */
export async function startLocalCdnFixture(): Promise<LocalCdnFixture> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'local-cdn-'));
  const stateDirectory = join(workDirectory, 'state');
  const stack = { delivery: true as const, allowGuests: true };
  // A first start names the bucket; the seed goes in while nothing runs, as an object written before the distribution existed.
  const first = await startComposedCloud({ stateDirectory, stack });
  const bucketName = first.bucket;
  await first.close();
  const undeliveredKey = 'outside-every-location/secret.txt';
  const store = await ObjectStore.open({ dataDirectory: join(stateDirectory, 'data'), bucketNames: [bucketName], clock: () => new Date() });
  const bucket = store.bucket(bucketName);
  const staged = await bucket.stage(Readable.from([Buffer.from('not for the CDN')]), { maxBytes: 1024 });
  await bucket.putObject({ key: undeliveredKey, staged, attributes: { headers: { contentType: 'text/plain' }, userMetadata: {}, encryption: { algorithm: 'AES256' }, storageClass: 'STANDARD' } });
  store.close();

  const composed = await startComposedCloud({ stateDirectory, stack });
  const { cloud } = composed;
  const signing = cloud.deployment.cdnSigningKey;
  if (!cloud.cdnUrl || !signing) throw new Error('the local cloud started no CDN');
  const cdnUrl = cloud.cdnUrl;
  const alice = await composed.signIn('alice');
  const bob = await composed.signIn('bob');

  return {
    composed,
    cdnUrl,
    keyPairId: signing.keyPairId,
    privateKeyPem: signing.privateKeyPem,
    alice,
    bob,
    undeliveredKey,
    signUrl(key, options = {}) {
      const url = `${cdnUrl}/${key}${options.query ? `?${options.query}` : ''}`;
      return getSignedUrl({
        url,
        keyPairId: options.keyPairId ?? signing.keyPairId,
        privateKey: options.privateKeyPem ?? signing.privateKeyPem,
        dateLessThan: new Date(Date.now() + (options.expiresInSeconds ?? 300) * 1000).toISOString(),
        ...(options.dateGreaterThan ? { dateGreaterThan: options.dateGreaterThan.toISOString() } : {}),
        ...(options.ipAddress ? { ipAddress: options.ipAddress } : {}),
        algorithm: 'SHA256',
      } as Parameters<typeof getSignedUrl>[0]);
    },
    signCookies(resourcePattern, options = {}) {
      const policy = JSON.stringify({
        Statement: [{ Resource: `${cdnUrl}/${resourcePattern}`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 300) } } }],
      });
      const cookies = getSignedCookies({ keyPairId: signing.keyPairId, privateKey: signing.privateKeyPem, policy, algorithm: 'SHA256' } as Parameters<typeof getSignedCookies>[0]) as unknown as Record<string, string>;
      return Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ');
    },
    async put(identity, key, body, contentType = 'text/plain') {
      await identity.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async close() {
      await composed.close();
      await rm(workDirectory, { recursive: true, force: true });
    },
  };
}

/** The `<Code>` of a CloudFront error answer. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}
