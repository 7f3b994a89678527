import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

/** The s3rver baseline (an unauthenticated S3 emulator) in its own process, like the local cloud. */
const [directory] = process.argv.slice(2) as [string];
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'bench', configs: [] }] });
const address = (await server.run()) as AddressInfo;
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
