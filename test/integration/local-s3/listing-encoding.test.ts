import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { sendRaw, signHeaders } from './raw-requests.ts';

/**
 * `encoding-type=url` seen on the wire: the SDK hands these fields back as they came, so only the
 * XML shows whether a space went out as `%20` (what S3 sends: it percent-encodes as URLs do) or `+`.
 */
let s3: LocalS3;
const directory = (): string => `${s3.alice.prefix}enc/`;

beforeAll(async () => {
  s3 = await startLocalS3();
  for (const name of ['a b+c.txt', 'a z.txt', 'plain.txt']) await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${directory()}${name}`, Body: name }));
});
afterAll(() => s3.close());

/** S3's URL encoding of listed names: percent-encoding, with `/` left as it is. */
function percentEncoded(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/');
}

async function listRaw(query: Record<string, string>): Promise<string> {
  const path = `/${BUCKET}`;
  const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'GET', path, query, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const search = Object.entries(query)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  const answer = await sendRaw(s3.endpoint, { method: 'GET', path: `${path}?${search}`, headers });
  if (answer === 'destroyed') throw new Error('connection cut');
  expect(answer.status, answer.body).toBe(200);
  return answer.body;
}

function elements(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((match) => match[1] as string);
}

describe('encoding-type=url writes a space as %20, as S3 does', () => {
  test('ListObjectsV2: Key, Prefix and StartAfter', async () => {
    const xml = await listRaw({ 'list-type': '2', prefix: directory(), 'start-after': `${directory()}a b`, 'encoding-type': 'url' });
    expect(elements(xml, 'Key')).toEqual(['a b+c.txt', 'a z.txt', 'plain.txt'].map((name) => percentEncoded(`${directory()}${name}`)));
    expect(elements(xml, 'Key')[0]).toMatch(/\/enc\/a%20b%2Bc\.txt$/);
    expect(elements(xml, 'StartAfter')).toEqual([percentEncoded(`${directory()}a b`)]);
    expect(elements(xml, 'StartAfter')[0]).toMatch(/\/enc\/a%20b$/);
    expect(elements(xml, 'Prefix')).toEqual([percentEncoded(directory())]);
  });

  test('ListObjectsV2: Delimiter and CommonPrefixes', async () => {
    const xml = await listRaw({ 'list-type': '2', prefix: directory(), delimiter: ' ', 'encoding-type': 'url' });
    expect(elements(xml, 'Delimiter')).toEqual(['%20']);
    expect(elements(xml, 'Key')).toEqual([percentEncoded(`${directory()}plain.txt`)]);
    // The first Prefix element is the request's, the next ones are the common prefixes'.
    expect(elements(xml, 'Prefix')).toEqual([percentEncoded(directory()), percentEncoded(`${directory()}a `)]);
    expect(elements(xml, 'Prefix')[1]).toMatch(/\/enc\/a%20$/);
  });

  test('ListObjects (v1): Marker and NextMarker too', async () => {
    const xml = await listRaw({ prefix: directory(), delimiter: ' ', marker: `${directory()}a b`, 'max-keys': '1', 'encoding-type': 'url' });
    expect(elements(xml, 'Marker')).toEqual([percentEncoded(`${directory()}a b`)]);
    expect(elements(xml, 'NextMarker')).toEqual([percentEncoded(`${directory()}a `)]);
    expect(elements(xml, 'NextMarker')[0]).toMatch(/\/enc\/a%20$/);
    expect(elements(xml, 'Delimiter')).toEqual(['%20']);
    expect(elements(xml, 'IsTruncated')).toEqual(['true']);
  });

  test('no listed name carries a + for a space', async () => {
    const xml = await listRaw({ prefix: directory(), 'encoding-type': 'url' });
    expect(elements(xml, 'Key')).toEqual(['a b+c.txt', 'a z.txt', 'plain.txt'].map((name) => percentEncoded(`${directory()}${name}`)));
    expect(elements(xml, 'Key').filter((key) => key.includes('+') || key.includes(' '))).toEqual([]);
  });
});
