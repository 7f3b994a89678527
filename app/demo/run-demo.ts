import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { get } from 'node:https';
import { StorageError, type ScopedStorageClient } from '../library/index.ts';
import { createNodeStorageClient, readStorageOutputsFile } from '../library/node/create-node-storage-client.ts';
import { refuseUnsupportedNode } from '../library/node/supported-node-version.ts';

/**
 * `npm run demo`: a scripted walkthrough against a running `npm start`. Two users each upload
 * (one file large enough to go multipart), list, share, and try to reach the other's files.
 */
refuseUnsupportedNode();
const outputsPath = process.argv[2] ?? process.env.SCOPED_STORAGE_OUTPUTS ?? '.local/outputs.json';
const MIB = 1024 * 1024;
let failures = 0;

function step(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

function outcome(ok: boolean, text: string): void {
  process.stdout.write(`   ${ok ? 'ok  ' : 'FAIL'} ${text}\n`);
  if (!ok) failures += 1;
}

async function signIn(user: string, tenant: string): Promise<ScopedStorageClient> {
  const outputs = await readStorageOutputsFile(outputsPath);
  const response = await fetch(`${outputs.tokenServiceUrl}/v1/dev/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, tenant }),
  });
  if (!response.ok) throw new Error(`dev sign-in for ${user} failed: HTTP ${response.status} ${await response.text()}`);
  const { sessionToken } = (await response.json()) as { sessionToken: string };
  return createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken, partSize: 8 * MIB, multipartThreshold: 8 * MIB });
}

async function expectDenied(what: string, attempt: () => Promise<unknown>): Promise<void> {
  try {
    await attempt();
    outcome(false, `${what}: was allowed`);
  } catch (error) {
    const code = error instanceof StorageError ? error.code : ((error as { name?: string }).name ?? 'error');
    outcome(code === 'AccessDenied', `${what}: denied (${code})`);
  }
}

/** Reads a URL with no credentials at all, as a person given a share link would (trusting the local cloud's CA). */
async function fetchAnonymously(url: string, caCertificatePath: string | undefined): Promise<string> {
  const ca = caCertificatePath ? await readFile(caCertificatePath) : undefined;
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`))));
    }).on('error', reject);
  });
}

async function walkthrough(): Promise<void> {
  const outputs = await readStorageOutputsFile(outputsPath);
  step(`Using ${outputsPath}: bucket ${outputs.bucket}, pool ${outputs.identityPoolId}, token service ${outputs.tokenServiceUrl}`);

  const users = { alice: await signIn('alice', 'acme'), bob: await signIn('bob', 'globex') };
  const identities: Record<string, string> = {};
  for (const [name, client] of Object.entries(users)) {
    const identity = await client.whoami();
    identities[name] = identity.identityId;
    step(`${name} signed in: identity ${identity.identityId}, folder ${identity.prefix}, credentials until ${identity.credentialsExpireAt.toISOString()}`);
  }

  for (const [name, client] of Object.entries(users)) {
    step(`${name} uploads a note and a 24 MiB file (multipart)`);
    const note = await client.upload('notes/hello.txt', `Hello from ${name}!\n`, { contentType: 'text/plain' });
    outcome(note.etag.length > 0, `notes/hello.txt stored (ETag ${note.etag})`);
    let lastPercent = -1;
    const big = await client.upload('videos/big.bin', randomBytes(24 * MIB), {
      onProgress: ({ loadedBytes, totalBytes }) => {
        const total = totalBytes ?? 24 * MIB;
        const percent = Math.floor((loadedBytes / total) * 100);
        if (percent >= lastPercent + 25 || percent === 100) {
          lastPercent = percent;
          process.stdout.write(`   ... ${percent}% (${(loadedBytes / MIB).toFixed(0)}/${(total / MIB).toFixed(0)} MiB)\n`);
        }
      },
    });
    outcome(/-\d+"?$/.test(big.etag), `videos/big.bin stored as a multipart object (ETag ${big.etag})`);

    step(`${name} lists their files`);
    const listed = [];
    for await (const object of client.list()) listed.push(`${object.key} (${object.size} bytes)`);
    outcome(listed.length === 2, listed.join(', '));

    step(`${name} shares notes/hello.txt`);
    const link = await client.share('notes/hello.txt', { expiresInSeconds: 600 });
    const shared = await fetchAnonymously(link.url, outputs.caCertificate).catch((error: unknown) => `fetch failed: ${(error as Error).message}`);
    outcome(shared === `Hello from ${name}!\n`, `anyone with the link reads it until ${link.expiresAt.toISOString()}${link.cappedByCredentials ? ' (capped by the credentials)' : ''}`);
  }

  step('alice tries to reach bob\'s files with her own credentials');
  const bobPrefix = `users/${identities.bob}/`;
  const alice = users.alice;
  await expectDenied(`read ${bobPrefix}notes/hello.txt`, () => alice.s3.send(new GetObjectCommand({ Bucket: outputs.bucket, Key: `${bobPrefix}notes/hello.txt` })));
  await expectDenied(`write into ${bobPrefix}`, () => alice.s3.send(new PutObjectCommand({ Bucket: outputs.bucket, Key: `${bobPrefix}planted.txt`, Body: 'x' })));
  await expectDenied(`list ${bobPrefix}`, () => alice.s3.send(new ListObjectsV2Command({ Bucket: outputs.bucket, Prefix: bobPrefix })));
  await expectDenied('list the whole bucket', () => alice.s3.send(new ListObjectsV2Command({ Bucket: outputs.bucket })));
  await expectDenied(`list the prefix-confusion neighbour users/${identities.alice!.slice(0, -1)}`, () =>
    alice.s3.send(new ListObjectsV2Command({ Bucket: outputs.bucket, Prefix: `users/${identities.alice!.slice(0, -1)}` })),
  );

  step('clean up');
  for (const [name, client] of Object.entries(users)) {
    const removed = await client.remove(['notes/hello.txt', 'videos/big.bin']);
    outcome(removed.failed.length === 0, `${name}: deleted ${removed.deleted.join(', ')}`);
  }
}

try {
  await walkthrough();
  process.stdout.write(failures === 0 ? '\nDemo finished: every step behaved as expected.\n' : `\nDemo finished with ${failures} unexpected outcome(s).\n`);
  process.exitCode = failures === 0 ? 0 : 1;
} catch (error) {
  process.stderr.write(`\nDemo stopped: ${(error as Error).message}\nIs "npm start" running in another terminal?\n`);
  process.exitCode = 1;
}
