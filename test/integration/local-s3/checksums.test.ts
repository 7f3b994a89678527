import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createScope, getSigningKey } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, REGION, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { errorCode, sendRaw, signHeaders } from './raw-requests.ts';
import { expectServiceError } from '../service-error-assertions.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(() => s3.close());

function crc32Base64(data: Buffer): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(data));
  return bytes.toString('base64');
}

describe('checksums the SDK sends', () => {
  test('a streamed body goes aws-chunked with the default CRC32 in the trailer, and GetObject returns the checksum', async () => {
    const key = `${s3.alice.prefix}streamed.txt`;
    const parts = [Buffer.from('streamed '), Buffer.from('body '), Buffer.from('content')];
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Readable.from(parts), ContentLength: 21 }));
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(crc32Base64(Buffer.concat(parts)));
    expect(await got.Body?.transformToString()).toBe('streamed body content');
  });

  test.each(['SHA256', 'SHA1', 'CRC32C', 'CRC64NVME'] as const)('an explicit %s checksum is verified and stored', async (algorithm) => {
    const key = `${s3.alice.prefix}checksum-${algorithm}.txt`;
    const put = await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'checked body', ChecksumAlgorithm: algorithm }));
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect(got[`Checksum${algorithm}`]).toBe(put[`Checksum${algorithm}`]);
    expect(got[`Checksum${algorithm}`]).toBeTruthy();
  });

  test('a wrong Content-MD5 is BadDigest and stores nothing', async () => {
    const key = `${s3.alice.prefix}bad-md5.txt`;
    const wrong = createHash('md5').update('something else').digest('base64');
    await expectServiceError(s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'body', ContentMD5: wrong })), 'BadDigest', 400);
    await expectServiceError(s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'body', ContentMD5: 'not-md5' })), 'InvalidDigest', 400);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })), 'AccessDenied', 403);
  });

  test('a wrong x-amz-checksum-crc32 is BadDigest', async () => {
    await expectServiceError(
      s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}bad-crc.txt`, Body: 'body', ChecksumCRC32: crc32Base64(Buffer.from('other')) })),
      'BadDigest',
      400,
    );
  });
});

describe('payload modes built by hand', () => {
  const path = (): string => `/${BUCKET}/${encodeURIComponent(s3.alice.prefix.slice(0, -1)).replace(/%2F/g, '/')}/raw.txt`;

  test('a signed payload whose body differs from x-amz-content-sha256 is XAmzContentSHA256Mismatch', async () => {
    const claimed = createHash('sha256').update('the signed body').digest('hex');
    const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'PUT', path: path(), headers: { 'x-amz-content-sha256': claimed, 'content-length': '13' } });
    const response = await sendRaw(s3.endpoint, { method: 'PUT', path: path(), headers, body: Buffer.from('another body!') });
    expect(errorCode(response)).toBe('XAmzContentSHA256Mismatch');
  });

  async function signedChunkedUpload(chunks: Buffer[], options: { tamperChunk?: number; trailerChecksum?: string } = {}): Promise<string | undefined> {
    const signingDate = new Date();
    const longDate = signingDate.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const shortDate = longDate.slice(0, 8);
    const decodedLength = chunks.reduce((total, chunk) => total + chunk.length, 0);
    const withTrailer = options.trailerChecksum !== undefined;
    const headers = await signHeaders(
      s3.alice.credentials,
      s3.endpoint,
      {
        method: 'PUT',
        path: path(),
        headers: {
          'x-amz-content-sha256': withTrailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(decodedLength),
          ...(withTrailer && { 'x-amz-trailer': 'x-amz-checksum-crc32' }),
        },
      },
      signingDate,
    );
    const seed = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? '')?.[1] as string;
    const key = await getSigningKey(Hash.bind(null, 'sha256'), { accessKeyId: s3.alice.credentials.accessKeyId, secretAccessKey: s3.alice.credentials.secretAccessKey }, shortDate, REGION, 's3');
    const scope = createScope(shortDate, REGION, 's3');
    const sign = async (text: string): Promise<string> => {
      const hash = new Hash('sha256', key);
      hash.update(text);
      return Buffer.from(await hash.digest()).toString('hex');
    };
    const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
    let previous = seed;
    const body: Buffer[] = [];
    for (const [index, chunk] of [...chunks, Buffer.alloc(0)].entries()) {
      const signature = await sign(['AWS4-HMAC-SHA256-PAYLOAD', longDate, scope, previous, sha256(''), sha256(chunk)].join('\n'));
      previous = signature;
      const sent = index === options.tamperChunk ? Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1') : chunk;
      body.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), sent, Buffer.from(chunk.length > 0 ? '\r\n' : ''));
    }
    if (withTrailer) {
      const trailerLine = `x-amz-checksum-crc32:${options.trailerChecksum}`;
      const trailerSignature = await sign(['AWS4-HMAC-SHA256-TRAILER', longDate, scope, previous, sha256(`${trailerLine}\n`)].join('\n'));
      body.push(Buffer.from(`${trailerLine}\r\nx-amz-trailer-signature:${trailerSignature}\r\n\r\n`));
    } else {
      body.push(Buffer.from('\r\n'));
    }
    const response = await sendRaw(s3.endpoint, { method: 'PUT', path: path(), headers: { ...headers, 'transfer-encoding': 'chunked' }, body });
    if (response === 'destroyed') return 'destroyed';
    return response.status === 200 ? 'OK' : errorCode(response);
  }

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: signed chunks are accepted, a tampered chunk is SignatureDoesNotMatch', async () => {
    const chunks = [Buffer.alloc(9000, 'a'), Buffer.from('tail')];
    expect(await signedChunkedUpload(chunks)).toBe('OK');
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}raw.txt` }));
    expect(await got.Body?.transformToString()).toBe(`${'a'.repeat(9000)}tail`);
    expect(await signedChunkedUpload(chunks, { tamperChunk: 1 })).toBe('SignatureDoesNotMatch');
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the signed CRC32 trailer is checked against the body', async () => {
    const chunks = [Buffer.from('trailer '), Buffer.from('checked')];
    expect(await signedChunkedUpload(chunks, { trailerChecksum: crc32Base64(Buffer.concat(chunks)) })).toBe('OK');
    expect(await signedChunkedUpload(chunks, { trailerChecksum: crc32Base64(Buffer.from('different')) })).toBe('BadDigest');
  });
});
