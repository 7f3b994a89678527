import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { fileSource } from '../../app/library/node/file-source.ts';
import type { RandomAccessSource } from '../../app/library/upload-source.ts';
import { developmentSession, peakResidentBytes, residentBytes, resetPeakResident } from './bench-processes.ts';

/**
 * One measured upload, in its own process so its peak memory is its own. Modes:
 * `client <outputs> <file> <partMiB> <concurrency> [<sha256> [<minimumSeconds>]]`: the client
 * library, multipart, as an app would; with a SHA-256, the object is then read back in full
 * (outside the measured time) and its digest compared; with a minimum duration, the reads of
 * the file are paced so the upload spans at least that long (the quick run uses it to see a
 * credential refresh mid-upload without a large file);
 * `plain <url> <caFile> <file>`: one streamed HTTPS PUT, the physical baseline.
 */
const [mode, ...args] = process.argv.slice(2);

/** Delays each part's read so that byte `start` is not read before `start / size` of the minimum duration. */
function pacedSource(source: RandomAccessSource, minimumMs: number): RandomAccessSource {
  const started = performance.now();
  return {
    ...source,
    async read(start, end, into) {
      const due = started + (start / source.size) * minimumMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return source.read(start, end, into);
    },
  };
}

if (mode === 'client') {
  const [outputsPath, file, partMiB, concurrency, expectedSha256, minimumSeconds] = args as [string, string, string, string, string | undefined, string | undefined];
  const outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as { tokenServiceUrl: string };
  const sessionToken = await developmentSession(outputs.tokenServiceUrl, `bench-${process.pid}`);
  const client = await createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken, partSize: Number(partMiB) * 1048576, concurrency: Number(concurrency) });
  await client.whoami();
  const exchangesBefore = client.credentials.counts.credentialExchanges;
  const onDisk = await fileSource(file);
  const source = minimumSeconds ? pacedSource(onDisk, Number(minimumSeconds) * 1000) : onDisk;
  await resetPeakResident(process.pid);
  const idleResidentBytes = await residentBytes(process.pid);
  const uploadStarted = performance.now();
  const uploaded = await client.upload('bench/large.bin', source);
  const seconds = (performance.now() - uploadStarted) / 1000;
  const peak = await peakResidentBytes(process.pid);
  const credentialRefreshes = client.credentials.counts.credentialExchanges - exchangesBefore;
  let verifiedBytes = 0;
  let sha256Matches: boolean | undefined;
  if (expectedSha256) {
    const download = await client.download(uploaded.key);
    const digest = createHash('sha256');
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) {
      digest.update(chunk);
      verifiedBytes += chunk.length;
    }
    sha256Matches = digest.digest('hex') === expectedSha256;
  }
  process.stdout.write(`${JSON.stringify({ seconds, bytes: onDisk.size, idleResidentBytes, peakResidentBytes: peak, credentialRefreshes, tokenRequests: client.credentials.counts.tokenRequests, verifiedBytes, sha256Matches })}\n`);
} else if (mode === 'plain') {
  const [url, caFile, file] = args as [string, string, string];
  const bytes = (await stat(file)).size;
  const ca = await readFile(caFile);
  await resetPeakResident(process.pid);
  const idleResidentBytes = await residentBytes(process.pid);
  const putStarted = performance.now();
  await new Promise<void>((resolve, reject) => {
    const put = request(url, { method: 'PUT', ca, headers: { 'content-length': bytes } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))));
    });
    put.on('error', reject);
    createReadStream(file).pipe(put);
  });
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - putStarted) / 1000, bytes, idleResidentBytes, peakResidentBytes: await peakResidentBytes(process.pid) })}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
