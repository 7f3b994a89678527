import { describe, expect, it } from 'vitest';
import { DamagedUploadAddressError, readUploadAddress, uploadAddress, uploadsIntoDeployment, type UploadAddressLink } from '../../../app/web/upload-address.ts';

const LINK: UploadAddressLink = {
  url: 'http://localhost:4566/bucket/users/us-east-1:abc/inbox/0123456789abcdef-upload?X-Amz-Signature=00',
  method: 'PUT',
  headers: { 'If-None-Match': '*', 'x-amz-server-side-encryption': 'AES256' },
  key: 'inbox/0123456789abcdef-upload',
  expiresAt: '2026-12-03T16:00:00.000Z',
  maxBytes: 10_485_760,
};

function fragmentOf(value: unknown): string {
  return `#${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
}

describe('the uploader address', () => {
  it('carries the link in the fragment as base64url JSON, and reads back the same link (non-ASCII and type included)', () => {
    const link = { ...LINK, key: 'Fotos/Ünïcødé 🐈/0123-upload', contentType: 'image/jpeg' };
    const address = uploadAddress('http://localhost:5173', link);
    const { origin, pathname, search, hash } = new URL(address);
    expect([origin, pathname, search]).toEqual(['http://localhost:5173', '/upload.html', '']);
    expect(hash).toMatch(/^#[A-Za-z0-9_-]+$/);
    expect(readUploadAddress(hash)).toEqual(link);
  });

  it('refuses damaged or hostile fragments with a typed error', () => {
    const damaged = [
      '',
      '#',
      '#not base64!',
      `#${Buffer.from([0xff, 0xfe]).toString('base64url')}`,
      fragmentOf([LINK]),
      fragmentOf({ ...LINK, url: 'javascript:alert(1)' }),
      fragmentOf({ ...LINK, url: 'file:///etc/passwd' }),
      fragmentOf({ ...LINK, method: 'POST' }),
      fragmentOf({ ...LINK, headers: { 'If-None-Match': 1 } }),
      fragmentOf({ ...LINK, headers: ['If-None-Match: *'] }),
      fragmentOf({ ...LINK, key: '' }),
      fragmentOf({ ...LINK, expiresAt: 'tomorrow' }),
      fragmentOf({ ...LINK, maxBytes: 0 }),
      fragmentOf({ ...LINK, maxBytes: 1.5 }),
      fragmentOf({ ...LINK, maxBytes: '10' }),
      fragmentOf({ ...LINK, contentType: 7 }),
    ];
    for (const fragment of damaged) expect(() => readUploadAddress(fragment), fragment).toThrow(DamagedUploadAddressError);
  });

  it('accepts only links into its own deployment\'s bucket: the local endpoint, or the bucket on S3 (virtual-hosted or path-style over https)', () => {
    const local = { bucket: 'bucket', region: 'us-east-1', s3Endpoint: 'http://localhost:4566' };
    const at = (url: string) => ({ ...LINK, url });
    expect(uploadsIntoDeployment(LINK, local)).toBe(true);
    expect(uploadsIntoDeployment(at('https://localhost:4566/bucket/a'), local)).toBe(true);
    expect(uploadsIntoDeployment(at('https://127.0.0.1:4566/bucket/a'), local)).toBe(true);
    expect(uploadsIntoDeployment(at('http://[::1]:4566/bucket/a'), local)).toBe(true);
    expect(uploadsIntoDeployment(at('http://127.0.0.2:4566/bucket/a'), local)).toBe(false);
    expect(uploadsIntoDeployment(at('http://127.0.0.1:4567/bucket/a'), local)).toBe(false);
    expect(uploadsIntoDeployment(at('ftp://localhost:4566/bucket/a'), local)).toBe(false);
    expect(uploadsIntoDeployment(at('http://localhost:4567/bucket/a'), local)).toBe(false);
    expect(uploadsIntoDeployment(at('http://evil.example/bucket/a'), local)).toBe(false);
    expect(uploadsIntoDeployment(at('http://localhost:4566/bucketx/a'), local)).toBe(false);
    expect(uploadsIntoDeployment(at('http://localhost:4566@evil.example/bucket/a'), local)).toBe(false);
    const aws = { bucket: 'media-bucket', region: 'eu-west-1' };
    expect(uploadsIntoDeployment(at('https://media-bucket.s3.eu-west-1.amazonaws.com/users/a'), aws)).toBe(true);
    expect(uploadsIntoDeployment(at('https://s3.eu-west-1.amazonaws.com/media-bucket/users/a'), aws)).toBe(true);
    expect(uploadsIntoDeployment(at('http://media-bucket.s3.eu-west-1.amazonaws.com/users/a'), aws)).toBe(false);
    expect(uploadsIntoDeployment(at('https://other-bucket.s3.eu-west-1.amazonaws.com/users/a'), aws)).toBe(false);
    expect(uploadsIntoDeployment(at('https://s3.eu-west-1.amazonaws.com/other-bucket/media-bucket/a'), aws)).toBe(false);
    expect(uploadsIntoDeployment(at('https://media-bucket.s3.eu-west-1.amazonaws.com.evil.example/a'), aws)).toBe(false);
  });

  it('puts no hostile text on the page: the type must be a media type, the size one upload can carry, and the expiry no later than the URL\'s signed one', () => {
    expect(() => readUploadAddress(fragmentOf({ ...LINK, contentType: 'image/png. Sent privately to Acme HR, see https://evil.example' }))).toThrow('its file type is not a media type');
    expect(() => readUploadAddress(fragmentOf({ ...LINK, contentType: 'text/html; charset=utf-7' }))).toThrow('its file type is not a media type');
    expect(readUploadAddress(fragmentOf({ ...LINK, contentType: 'image/svg+xml' })).contentType).toBe('image/svg+xml');
    expect(() => readUploadAddress(fragmentOf({ ...LINK, maxBytes: 5 * 1024 ** 3 + 1 }))).toThrow('a size limit above what one upload can carry');
    const signed = { ...LINK, url: 'http://localhost:4566/bucket/k?X-Amz-Date=20261203T160000Z&X-Amz-Expires=900&X-Amz-Signature=00', expiresAt: '9999-12-31T00:00:00.000Z' };
    expect(readUploadAddress(fragmentOf(signed)).expiresAt).toBe('2026-12-03T16:15:00.000Z');
    expect(readUploadAddress(fragmentOf({ ...signed, expiresAt: '2026-12-03T16:05:00.000Z' })).expiresAt).toBe('2026-12-03T16:05:00.000Z');
  });
});
