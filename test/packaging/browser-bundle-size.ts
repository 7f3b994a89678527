import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface BrowserBundle {
  /** Minified bytes. */
  bytes: number;
  /** Those bytes gzipped (level 9), what a browser downloads. */
  gzipBytes: number;
  /** Imports left in the bundle (a browser bundle must have none). */
  unresolvedImports: string[];
  /** `node:` module names the bundle mentions, or Node built-ins it requires by bare name. */
  nodeBuiltins: string[];
  text: string;
}

const NODE_BUILTIN = /["'](node:[a-z_/]+)["']|require\(\s*["'](fs|path|os|crypto|stream|https?|net|tls|zlib|child_process)["']\s*\)/g;

/**
 * What an app's bundler makes of `source` for a browser: esbuild with `platform: 'browser'`,
 * minified, tree-shaken, modules resolved from `resolveDir` (the app's folder, so its node_modules).
 */
export async function bundleForBrowser(source: string, resolveDir: string): Promise<BrowserBundle> {
  const result = await build({
    stdin: { contents: source, resolveDir, sourcefile: 'browser-entry.mjs', loader: 'js' },
    absWorkingDir: resolveDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    treeShaking: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.text;
  const outputs = Object.values(result.metafile.outputs);
  return {
    bytes: Buffer.byteLength(text),
    gzipBytes: gzipSync(text, { level: 9 }).length,
    unresolvedImports: outputs.flatMap((output) => output.imports.filter((entry) => entry.external).map((entry) => entry.path)),
    nodeBuiltins: [...new Set([...text.matchAll(NODE_BUILTIN)].map((match) => (match[1] ?? match[2])!))],
    text,
  };
}

/** A browser entry using the client library: construct a client and upload, so nothing is tree-shaken away. */
export function clientBrowserEntry(clientModule: string): string {
  return `import { ScopedStorageClient } from '${clientModule}';
const client = new ScopedStorageClient({ outputs: globalThis.storageOutputs, getSessionToken: async () => 'session' });
globalThis.upload = (file) => client.upload(file.name, file);
globalThis.download = (key) => client.download(key);
`;
}

/** The baseline: the bare AWS SDK S3 client with one PutObject, what an app writing to S3 with the SDK ships anyway. */
export const BARE_S3_CLIENT_ENTRY = `import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
const s3 = new S3Client({});
globalThis.upload = (file) => s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: file.name, Body: file }));
`;
