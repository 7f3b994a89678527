import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalDeployment, type LocalDeployment } from '../../../infra/local/deployment/read-local-deployment.ts';
import { behaviourFor } from '../../../infra/local/cdn/model/distribution.ts';
import { createOriginAuthorizer } from '../../../infra/local/cdn/model/origin-access.ts';
import { synthesizeStackTemplate } from '../../../infra/stack/synthesize-stack-template.ts';

let directory: string;
let deployment: LocalDeployment;
const NOW = new Date();

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'template-distribution-'));
  const synthesized = synthesizeStackTemplate(join(directory, 'cdk.out'), { delivery: true, allowGuests: true });
  deployment = await readLocalDeployment(synthesized, { accountId: '000000000000', region: 'us-east-1', dataDirectory: join(directory, 'data'), stateDirectory: directory });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('the distribution read from the synthesized template', () => {
  it('has the public location unsigned and everything else behind the key group, whose key is the stand-in key pair', () => {
    const distribution = deployment.distribution!;
    expect(distribution.id).toMatch(/^E[A-Z0-9]{13}$/);
    expect(distribution.arn).toBe(`arn:aws:cloudfront::000000000000:distribution/${distribution.id}`);
    expect(distribution.originBucket).toBe(deployment.buckets[0]!.name);
    expect(behaviourFor(distribution, '/public/us-east-1:abc/a.jpg').trustedKeyIds).toEqual([]);
    const signedKeys = behaviourFor(distribution, '/users/us-east-1:abc/a.jpg').trustedKeyIds;
    expect(signedKeys).toEqual([deployment.cdnSigningKey!.keyPairId]);
    expect(behaviourFor(distribution, '/publicity/a.jpg').trustedKeyIds).toEqual(signedKeys);
    expect(behaviourFor(distribution, '/x/public/a.jpg').trustedKeyIds).toEqual(signedKeys);
    expect(distribution.publicKeys.get(deployment.cdnSigningKey!.keyPairId)?.export({ type: 'spki', format: 'pem' })).toBe(deployment.cdnSigningKey!.publicKeyPem);
  });

  it('keeps the private key in a user-only file and the same key and ids on the next read', async () => {
    expect((await stat(join(directory, 'cdn-private-key.pem'))).mode & 0o777).toBe(0o600);
    const again = await readLocalDeployment(synthesizeStackTemplate(join(directory, 'cdk.out'), { delivery: true, allowGuests: true }), {
      accountId: '000000000000',
      region: 'us-east-1',
      dataDirectory: join(directory, 'data'),
      stateDirectory: directory,
    });
    expect(again.cdnSigningKey?.keyPairId).toBe(deployment.cdnSigningKey?.keyPairId);
    expect(again.cdnSigningKey?.privateKeyPem).toBe(deployment.cdnSigningKey?.privateKeyPem);
    expect(again.distribution?.id).toBe(deployment.distribution?.id);
  });
});

describe('origin access through the bucket policy', () => {
  const authorizer = (distributionArn: string) =>
    createOriginAuthorizer({ bucketPolicy: deployment.policies.bucketPolicies.get(deployment.distribution!.originBucket), distributionArn, accountId: '000000000000' });
  const object = (key: string) => `arn:aws:s3:::${deployment.distribution!.originBucket}/${key}`;

  it('lets this distribution read every location\'s keys', () => {
    const allow = authorizer(deployment.distribution!.arn);
    for (const key of ['users/us-east-1:abc/a.jpg', 'protected/us-east-1:abc/a.jpg', 'shared/a.pdf', 'tenants/acme/a.txt', 'public/us-east-1:abc/a.jpg']) {
      expect(allow('s3:GetObject', object(key), NOW).allowed, key).toBe(true);
    }
  });

  it('refuses keys outside every location, listing, and any other distribution', () => {
    const allow = authorizer(deployment.distribution!.arn);
    for (const key of ['outside/a.txt', 'users/a.jpg', 'public/a.jpg', 'usersx/us-east-1:abc/a.jpg']) {
      expect(allow('s3:GetObject', object(key), NOW).allowed, key).toBe(false);
    }
    expect(allow('s3:ListBucket', `arn:aws:s3:::${deployment.distribution!.originBucket}`, NOW).allowed).toBe(false);
    const other = authorizer('arn:aws:cloudfront::000000000000:distribution/EOTHERDISTRIB1');
    expect(other('s3:GetObject', object('public/us-east-1:abc/a.jpg'), NOW).allowed).toBe(false);
    const otherAccount = authorizer(deployment.distribution!.arn.replace('000000000000', '111111111111'));
    expect(otherAccount('s3:GetObject', object('shared/a.pdf'), NOW).allowed).toBe(false);
  });
});
