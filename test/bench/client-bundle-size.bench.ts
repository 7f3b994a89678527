import { fileURLToPath } from 'node:url';
import { BARE_S3_CLIENT_ENTRY, bundleForBrowser, clientBrowserEntry } from '../packaging/browser-bundle-size.ts';
import { benchResult, type BenchOptions, type BenchResult } from './bench-result.ts';

const repository = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What the client library adds to a web app: the gzipped size of a minified browser bundle of
 * `scoped-s3-storage/client` (built from app/library/index.ts, the package's ./client), next to
 * the bare AWS SDK S3 client with one PutObjectCommand, which an app writing to S3 ships anyway.
 * Sizes do not vary between runs, so --quick measures the same.
 */
export async function runClientBundleSizeBenchmark(_options: BenchOptions): Promise<BenchResult[]> {
  const client = await bundleForBrowser(clientBrowserEntry('./app/library/index.ts'), repository);
  const bareS3 = await bundleForBrowser(BARE_S3_CLIENT_ENTRY, repository);
  return [benchResult('browser bundle of scoped-s3-storage/client (minified, gzipped)', client.gzipBytes, 'bytes', 'S3Client + PutObjectCommand alone', bareS3.gzipBytes)];
}
