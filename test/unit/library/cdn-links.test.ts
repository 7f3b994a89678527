import { describe, expect, it } from 'vitest';
import { cdnObjectUrl } from '../../../app/library/cdn-address.ts';
import { parseStorageOutputs } from '../../../app/library/storage-outputs.ts';

const FLAT = { region: 'us-east-1', bucket: 'b', identityPoolId: 'us-east-1:1', developerProviderName: 'login.example.app', tokenServiceUrl: 'https://tokens.example.app' };

describe('StorageOutputs.cdnUrl and encryptionHeaderRequired', () => {
  it('reads both from the local file (a boolean) and from cdk deploy --outputs-file (strings)', () => {
    expect(parseStorageOutputs({ ...FLAT, cdnUrl: 'http://localhost:4000', encryptionHeaderRequired: true })).toMatchObject({ cdnUrl: 'http://localhost:4000', encryptionHeaderRequired: true });
    const stack = parseStorageOutputs({ Storage: { ...FLAT, cdnUrl: 'https://d111111abcdef8.cloudfront.net/', encryptionHeaderRequired: 'false' } });
    expect(stack).toMatchObject({ cdnUrl: 'https://d111111abcdef8.cloudfront.net', encryptionHeaderRequired: false });
  });

  it('leaves cdnUrl out and the header off for deployments without them', () => {
    const outputs = parseStorageOutputs(FLAT);
    expect('cdnUrl' in outputs).toBe(false);
    expect(outputs.encryptionHeaderRequired).toBe(false);
  });

  it('refuses values that are not an address or a boolean', () => {
    expect(() => parseStorageOutputs({ ...FLAT, cdnUrl: 'd111.cloudfront.net' })).toThrow('has "cdnUrl" "d111.cloudfront.net"; expected the CDN\'s https:// address');
    expect(() => parseStorageOutputs({ ...FLAT, cdnUrl: 'javascript:alert(1)' })).toThrow('has "cdnUrl"');
    expect(() => parseStorageOutputs({ ...FLAT, encryptionHeaderRequired: 'yes' })).toThrow('has "encryptionHeaderRequired" "yes"; expected true or false');
  });

  it('reads a KMS deployment\'s encryptionKeyArn (so uploads name aws:kms and that key) and refuses anything but a key ARN', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(parseStorageOutputs({ ...FLAT, encryptionKeyArn: keyArn }).encryptionKeyArn).toBe(keyArn);
    expect('encryptionKeyArn' in parseStorageOutputs(FLAT)).toBe(false);
    expect(() => parseStorageOutputs({ ...FLAT, encryptionKeyArn: 'alias/aws/s3' })).toThrow('has "encryptionKeyArn" "alias/aws/s3"; expected a KMS key ARN');
  });
});

describe('cdnObjectUrl', () => {
  it('percent-encodes each key segment as the CloudFront signer does, keeping the slashes', () => {
    expect(cdnObjectUrl('https://cdn.example/', 'public/us-east-1:abc/a b/ü?#%.jpg')).toBe('https://cdn.example/public/us-east-1%3Aabc/a%20b/%C3%BC%3F%23%25.jpg');
    expect(cdnObjectUrl('https://cdn.example', 'shared/a*b')).toBe('https://cdn.example/shared/a*b');
  });
});
