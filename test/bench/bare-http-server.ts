import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The load generator's ceiling: a plain HTTP server that reads each request body and answers
 * 200 (a GET gets a 4 KiB body, like the object the S3 servers return), doing nothing else.
 */
const OBJECT = Buffer.alloc(4096, 0x61);
const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume();
  request.once('end', () => {
    if (request.method === 'GET') response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': OBJECT.length, etag: '"bare"' }).end(OBJECT);
    else response.writeHead(200, { etag: '"bare"', 'content-length': 0 }).end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
