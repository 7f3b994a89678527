import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The physical baseline: an HTTPS server that writes each PUT body to disk and does nothing else. */
const [certificateFile, keyFile, directory] = process.argv.slice(2) as [string, string, string];
const server = createServer({ cert: await readFile(certificateFile), key: await readFile(keyFile) }, (request, response) => {
  pipeline(request, createWriteStream(join(directory, 'upload.bin'))).then(
    () => response.writeHead(200).end(),
    () => response.writeHead(500).end(),
  );
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
