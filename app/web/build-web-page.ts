import { build } from 'esbuild';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRIES = {
  /** The storage browser. */
  app: fileURLToPath(new URL('./main.ts', import.meta.url)),
  /** The one-page uploader: only the link in its address, not the library. */
  upload: fileURLToPath(new URL('./upload-page.ts', import.meta.url)),
};

export type WebPageScripts = Record<keyof typeof ENTRIES, string>;

/** Bundles the page scripts for browsers: the storage browser from the same library the CLI uses, and the uploader. */
export async function buildWebPageScripts(): Promise<WebPageScripts> {
  const result = await build({
    entryPoints: ENTRIES,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    write: false,
    outdir: 'bundle',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const byName = new Map(result.outputFiles.map((file) => [basename(file.path, '.js'), file.text]));
  return { app: byName.get('app')!, upload: byName.get('upload')! };
}
