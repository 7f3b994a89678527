import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, foreignPrivateKeyPem, startLocalCdnFixture, type LocalCdnFixture } from './local-cdn-fixture.ts';

let fixture: LocalCdnFixture;
const FOUR_KIB = Buffer.alloc(4096, 'x');
let publicKey: string;
let privateKey: string;
let bobKey: string;

beforeAll(async () => {
  fixture = await startLocalCdnFixture();
  publicKey = `public/${fixture.alice.identityId}/photo.txt`;
  privateKey = `${fixture.alice.prefix}notes.txt`;
  bobKey = `${fixture.bob.prefix}notes.txt`;
  await fixture.put(fixture.alice, publicKey, FOUR_KIB);
  await fixture.put(fixture.alice, privateKey, '0123456789abcdefghij', 'text/markdown');
  await fixture.put(fixture.bob, bobKey, 'bob only');
});

afterAll(async () => {
  await fixture?.close();
});

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('the outputs and the key pair', () => {
  it('the outputs file names the CDN as cdnUrl and endpoints.cdn, and never carries the private key', async () => {
    const { cloud } = fixture.composed;
    const text = await readFile(cloud.outputsPath, 'utf8');
    const outputs = JSON.parse(text) as { cdnUrl: string; endpoints: { cdn: string }; encryptionHeaderRequired: boolean };
    expect(outputs.cdnUrl).toBe(fixture.cdnUrl);
    expect(outputs.encryptionHeaderRequired).toBe(false);
    expect(outputs.endpoints.cdn).toBe(fixture.cdnUrl);
    expect(fixture.cdnUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('the private key is a user-only file in the state directory, and the key id is a remembered K id', async () => {
    const path = join(fixture.composed.stateDirectory, 'cdn-private-key.pem');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(fixture.privateKeyPem);
    expect(fixture.keyPairId).toMatch(/^K[A-Z0-9]{13}$/);
    expect(fixture.composed.cloud.deployment.distribution?.publicKeys.has(fixture.keyPairId)).toBe(true);
  });
});

describe('public files', () => {
  it('are served unsigned and cached: Miss, then Hit with an Age', async () => {
    const url = `${fixture.cdnUrl}/${publicKey}`;
    const first = await get(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(first.headers.get('age')).toBeNull();
    expect(first.body).toBe(FOUR_KIB.toString());
    expect(first.headers.get('content-length')).toBe('4096');
    expect(first.headers.get('content-type')).toBe('text/plain');
    expect(first.headers.get('accept-ranges')).toBe('bytes');
    expect(first.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.headers.get('last-modified')).toMatch(/GMT$/);
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    const second = await get(url);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(Number(second.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(second.body).toBe(first.body);
  });

  it('a public path without the identity segment is outside the bucket policy: 403 AccessDenied, as S3 answers CloudFront', async () => {
    const answer = await get(`${fixture.cdnUrl}/public/photo.txt`);
    expect(answer.status).toBe(403);
    expect(errorCode(answer.body)).toBe('AccessDenied');
  });
});

describe('private files', () => {
  it('unsigned: 403 MissingKey with CloudFront\'s message', async () => {
    const answer = await get(`${fixture.cdnUrl}/${privateKey}`);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('content-type')).toBe('application/xml');
    expect(errorCode(answer.body)).toBe('MissingKey');
    expect(answer.body).toContain('<Message>Missing Key-Pair-Id query parameter or cookie value</Message>');
  });

  it('a signed URL reads the file; once cached, the cache still asks for a valid signature', async () => {
    const signed = await get(fixture.signUrl(privateKey));
    expect(signed.status).toBe(200);
    expect(signed.body).toBe('0123456789abcdefghij');
    expect(signed.headers.get('content-type')).toBe('text/markdown');
    const again = await get(fixture.signUrl(privateKey));
    expect(again.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(errorCode((await get(`${fixture.cdnUrl}/${privateKey}`)).body)).toBe('MissingKey');
    expect(errorCode((await get(fixture.signUrl(privateKey, { expiresInSeconds: -1 }))).body)).toBe('AccessDenied');
  });

  it('signed cookies with a wildcard policy read the owner\'s folder and nothing beside it', async () => {
    const cookie = fixture.signCookies(`${fixture.alice.prefix}*`);
    const own = await get(`${fixture.cdnUrl}/${privateKey}`, { headers: { cookie } });
    expect(own.status).toBe(200);
    expect(own.body).toBe('0123456789abcdefghij');
    const other = await get(`${fixture.cdnUrl}/${bobKey}`, { headers: { cookie } });
    expect(other.status).toBe(403);
    expect(errorCode(other.body)).toBe('AccessDenied');
    // Prefix confusion: the identity id with one more character is another folder.
    const confused = await get(`${fixture.cdnUrl}/${fixture.alice.prefix.slice(0, -1)}x/notes.txt`, { headers: { cookie } });
    expect(errorCode(confused.body)).toBe('AccessDenied');
  });

  it('expired cookies, tampered cookies and cookies of an unknown key are refused', async () => {
    const url = `${fixture.cdnUrl}/${privateKey}`;
    expect(errorCode((await get(url, { headers: { cookie: fixture.signCookies(`${fixture.alice.prefix}*`, { expiresInSeconds: -5 }) } })).body)).toBe('AccessDenied');
    const cookie = fixture.signCookies(`${fixture.alice.prefix}*`);
    // The policy of a wider set (every file) beside the signature of alice's folder.
    const widerPolicy = /CloudFront-Policy=([^;]*)/.exec(fixture.signCookies('*'))![1]!;
    expect(errorCode((await get(url, { headers: { cookie: cookie.replace(/CloudFront-Policy=[^;]*/, `CloudFront-Policy=${widerPolicy}`) } })).body)).toBe('MalformedSignature');
    expect(errorCode((await get(url, { headers: { cookie: cookie.replace(/CloudFront-Policy=[^;]*/, 'CloudFront-Policy=%%%') } })).body)).toBe('MalformedPolicy');
    expect(errorCode((await get(url, { headers: { cookie: cookie.replace(/CloudFront-Key-Pair-Id=[^;]*/, 'CloudFront-Key-Pair-Id=KAAAAAAAAAAAAA') } })).body)).toBe('InvalidKey');
  });

  it('refused: an expired link, a link for another file, a key the distribution does not trust, another key id, another IP, a future start', async () => {
    expect(errorCode((await get(fixture.signUrl(privateKey, { expiresInSeconds: -1 }))).body)).toBe('AccessDenied');
    const forOther = fixture.signUrl(privateKey).replace('notes.txt', 'other.txt');
    expect(errorCode((await get(forOther)).body)).toBe('MalformedSignature');
    expect(errorCode((await get(fixture.signUrl(privateKey, { privateKeyPem: foreignPrivateKeyPem }))).body)).toBe('MalformedSignature');
    expect(errorCode((await get(fixture.signUrl(privateKey, { keyPairId: 'KUNKNOWNKEY123' }))).body)).toBe('InvalidKey');
    const wrongIp = await get(fixture.signUrl(privateKey, { ipAddress: '10.0.0.0/8' }));
    expect(wrongIp.status).toBe(403);
    expect(errorCode(wrongIp.body)).toBe('AccessDenied');
    expect((await get(fixture.signUrl(privateKey, { ipAddress: '127.0.0.1/32' }))).status).toBe(200);
    expect(errorCode((await get(fixture.signUrl(privateKey, { dateGreaterThan: new Date(Date.now() + 600_000) }))).body)).toBe('AccessDenied');
    const expires = /Expires=(\d+)/.exec(fixture.signUrl(privateKey))![1]!;
    expect(errorCode((await get(fixture.signUrl(privateKey).replace(`Expires=${expires}`, `Expires=${Number(expires) + 3600}`))).body)).toBe('MalformedSignature');
  });

  it('response-content-disposition in a signed link becomes the Content-Disposition header', async () => {
    const answer = await get(fixture.signUrl(privateKey, { query: 'response-content-disposition=attachment%3B%20filename%3D%22n.txt%22' }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-disposition')).toBe('attachment; filename="n.txt"');
  });

  it('the origin refuses a key no location delivers, even with a valid signature', async () => {
    const answer = await get(fixture.signUrl(fixture.undeliveredKey));
    expect(answer.status).toBe(403);
    expect(errorCode(answer.body)).toBe('AccessDenied');
  });

  it('a missing key in a delivered folder is 403 AccessDenied: the bucket policy gives CloudFront no s3:ListBucket, so S3 does not say 404', async () => {
    const answer = await get(fixture.signUrl(`${fixture.alice.prefix}missing.txt`));
    expect(answer.status).toBe(403);
    expect(errorCode(answer.body)).toBe('AccessDenied');
  });
});

describe('HTTP semantics', () => {
  it('If-None-Match and If-Modified-Since answer 304', async () => {
    const url = `${fixture.cdnUrl}/${publicKey}`;
    const { headers } = await get(url);
    const etag = headers.get('etag')!;
    const byEtag = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(byEtag.status).toBe(304);
    expect(byEtag.headers.get('etag')).toBe(etag);
    expect((await fetch(url, { headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() } })).status).toBe(304);
    expect((await fetch(url, { headers: { 'if-none-match': '"0000"' } })).status).toBe(200);
    expect((await fetch(url, { headers: { 'if-modified-since': new Date(0).toUTCString() } })).status).toBe(200);
  });

  it('Range answers 206 with Content-Range, and 416 outside the object', async () => {
    const range = await get(fixture.signUrl(privateKey), { headers: { range: 'bytes=10-14' } });
    expect(range.status).toBe(206);
    expect(range.body).toBe('abcde');
    expect(range.headers.get('content-range')).toBe('bytes 10-14/20');
    expect(range.headers.get('content-length')).toBe('5');
    const suffix = await get(fixture.signUrl(privateKey), { headers: { range: 'bytes=-3' } });
    expect(suffix.body).toBe('hij');
    const outside = await get(fixture.signUrl(privateKey), { headers: { range: 'bytes=100-' } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe('bytes */20');
    expect(errorCode(outside.body)).toBe('InvalidRange');
  });

  it('an object above the cache\'s 1 MiB limit streams from the origin every time, whole or by range', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024 + 3);
    for (let index = 0; index < big.length; index += 1) big[index] = index % 251;
    const key = `${fixture.alice.prefix}big.bin`;
    await fixture.put(fixture.alice, key, big, 'application/octet-stream');
    for (const attempt of [1, 2]) {
      const response = await fetch(fixture.signUrl(key));
      expect(response.status, `attempt ${attempt}`).toBe(200);
      expect(response.headers.get('x-cache')).toBe('Miss from cloudfront');
      expect(Buffer.from(await response.arrayBuffer()).equals(big)).toBe(true);
    }
    const tail = await fetch(fixture.signUrl(key), { headers: { range: `bytes=${big.length - 5}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(big.subarray(big.length - 5))).toBe(true);
  });

  it('an empty object is 200 with no body, and any range of it 416', async () => {
    const key = `${fixture.alice.prefix}empty.txt`;
    await fixture.put(fixture.alice, key, '');
    const empty = await get(fixture.signUrl(key));
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-length')).toBe('0');
    expect(empty.body).toBe('');
    expect((await get(fixture.signUrl(key), { headers: { range: 'bytes=0-' } })).status).toBe(416);
  });

  it('HEAD answers the headers without a body', async () => {
    const response = await fetch(`${fixture.cdnUrl}/${publicKey}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('4096');
    expect(await response.text()).toBe('');
    const refused = await fetch(`${fixture.cdnUrl}/${privateKey}`, { method: 'HEAD' });
    expect(refused.status).toBe(403);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s is refused with 403 MethodNotAllowed and changes nothing', async (method) => {
    const answer = await get(fixture.signUrl(privateKey), { method, body: method === 'DELETE' ? undefined : 'overwrite' });
    expect(answer.status).toBe(403);
    expect(errorCode(answer.body)).toBe('MethodNotAllowed');
    expect((await get(fixture.signUrl(privateKey))).body).toBe('0123456789abcdefghij');
  });

  it('a request for another host is refused (DNS-rebinding guard)', async () => {
    const { request } = await import('node:http');
    const port = new URL(fixture.cdnUrl).port;
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: `/${publicKey}`, headers: { host: 'evil.example' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });

  it('HTTPS with the local CA serves the same files', async () => {
    const { request } = await import('node:https');
    const port = new URL(fixture.cdnUrl).port;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: `/${publicKey}`, ca: fixture.composed.caCertificate, servername: 'localhost' }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      })
        .on('error', reject)
        .end();
    });
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(4096);
  });
});

describe('connections', () => {
  it('a GET without a body keeps its connection alive; a GET carrying a body is answered and the connection closed', async () => {
    const { request, Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const port = new URL(fixture.cdnUrl).port;
    const send = (body?: string) =>
      new Promise<{ status: number; connection: string | undefined; socket: unknown }>((resolve, reject) => {
        const outgoing = request({ host: '127.0.0.1', port, path: `/${publicKey}`, agent, headers: { host: `localhost:${port}`, ...(body === undefined ? {} : { 'content-length': String(body.length) }) } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, socket: outgoing.socket }));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    const first = await send();
    const second = await send();
    expect(first.connection).toBe('keep-alive');
    expect(second.socket).toBe(first.socket);
    const withBody = await send('a body on a GET');
    expect(withBody.status).toBe(200);
    expect(withBody.connection).toBe('close');
    agent.destroy();
  });
});
