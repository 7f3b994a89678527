// Runs in a fresh project that installed the packed tarball: the client library as an app uses it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { StorageError } from 'scoped-s3-storage/client';
import { createNodeStorageClient, downloadToFile, fileSource } from 'scoped-s3-storage/client/node';

const { OUTPUTS_PATH, SESSION_TOKEN, WORK_DIRECTORY } = process.env;
const client = await createNodeStorageClient(OUTPUTS_PATH, { getSessionToken: () => SESSION_TOKEN });

const source = join(WORK_DIRECTORY, 'hello.txt');
await writeFile(source, 'hello from the installed package');
const uploaded = await client.upload('packaged/hello.txt', await fileSource(source), { contentType: 'text/plain' });

const download = await client.download('packaged/hello.txt');
const downloadedText = await text(download.body);

const target = join(WORK_DIRECTORY, 'hello-copy.txt');
await downloadToFile(client, 'packaged/hello.txt', target);

let missingObject;
try {
  await client.download('packaged/missing.txt');
} catch (error) {
  missingObject = error instanceof StorageError ? error.code : `not a StorageError: ${error}`;
}

process.stdout.write(
  JSON.stringify({
    resolvedClient: import.meta.resolve('scoped-s3-storage/client'),
    resolvedNodeClient: import.meta.resolve('scoped-s3-storage/client/node'),
    identityPrefix: (await client.whoami()).prefix,
    uploadedKey: uploaded.key,
    downloadedText,
    fileText: await readFile(target, 'utf8'),
    missingObject,
  }),
);
