import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { fileSource } from '../../app/library/node/file-source.ts';
import { developmentSession, peakResidentBytes, residentBytes, resetPeakResident } from './bench-processes.ts';

/**
 * One measured upload, in its own process so its peak memory is its own. Modes:
 * `client <outputs> <file> <partMiB> <concurrency>`: the client library, multipart, as an app would;
 * `plain <url> <caFile> <file>`: one streamed HTTPS PUT, the physical baseline.
 */
const [mode, ...args] = process.argv.slice(2);
let bytes = 0;
if (mode === 'client') {
  const [outputsPath, file, partMiB, concurrency] = args as [string, string, string, string];
  const outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as { tokenServiceUrl: string };
  const sessionToken = await developmentSession(outputs.tokenServiceUrl, `bench-${process.pid}`);
  const client = await createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken, partSize: Number(partMiB) * 1048576, concurrency: Number(concurrency) });
  await client.whoami();
  const source = await fileSource(file);
  await resetPeakResident(process.pid);
  const idleResidentBytes = await residentBytes(process.pid);
  const uploadStarted = performance.now();
  await client.upload('bench/large.bin', source);
  bytes = source.size;
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - uploadStarted) / 1000, bytes, idleResidentBytes, peakResidentBytes: await peakResidentBytes(process.pid) })}\n`);
} else if (mode === 'plain') {
  const [url, caFile, file] = args as [string, string, string];
  bytes = (await stat(file)).size;
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
