import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { StorageOutputs } from '../library/index.ts';
import { buildWebPageScripts } from './build-web-page.ts';
import { createHostCheck, FORBIDDEN_HOST_MESSAGE } from './loopback-host-check.ts';

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  // The one-page uploader: its link is in the address's fragment, which never reaches this server.
  '/upload.html': { file: 'upload.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // Browsers ask for /favicon.ico on their own whatever the page links; the same icon answers, not a 404 in the console.
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export interface WebPageServer {
  url: string;
  port: number;
  /** Sets the outputs `/config.json` hands to the page; until then it answers 503 (still starting). */
  publishOutputs(outputs: StorageOutputs): void;
  close(): Promise<void>;
}

/**
 * Serves the demo page: the HTML, the bundled script, and `/config.json` with the outputs the
 * browser should use (endpoints it can reach without a certificate wall). It listens before the
 * outputs exist because the page's origin (its port) goes into the stack's CORS rules.
 */
export async function startWebPageServer(options: { host?: string; port: number; /** Besides loopback names. @default none */ allowedHosts?: readonly string[] }): Promise<WebPageServer> {
  const isAllowedHost = createHostCheck(options.allowedHosts);
  const scripts = await buildWebPageScripts();
  const files = new Map<string, { body: Buffer | string; type: string }>();
  for (const [path, { file, type }] of Object.entries(STATIC_FILES)) {
    files.set(path, { body: await readFile(fileURLToPath(new URL(`./${file}`, import.meta.url))), type });
  }
  files.set('/app.js', { body: scripts.app, type: 'text/javascript; charset=utf-8' });
  files.set('/upload.js', { body: scripts.upload, type: 'text/javascript; charset=utf-8' });
  const publishOutputs = (outputs: StorageOutputs) => files.set('/config.json', { body: JSON.stringify({ outputs }), type: 'application/json' });

  // The page takes no bodies: a request not whole in 10 s is a stalled client, answered 408 and closed.
  const server: Server = createServer({ requestTimeout: 10_000, headersTimeout: 10_000, connectionsCheckingInterval: 1_000 }, (request, response) => {
    if (!isAllowedHost(request.headersDistinct.host, request.url)) {
      response.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ error: { code: 'forbidden_host', message: FORBIDDEN_HOST_MESSAGE } }));
      return;
    }
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    const entry = files.get(path);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed');
      return;
    }
    if (!entry && path === '/config.json') {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { code: 'Starting', message: 'The local cloud is still starting.' } }));
      return;
    }
    if (!entry) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    // Never inside another site's frame: the uploader and the storage browser take clicks that act on files.
    response.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" });
    response.end(request.method === 'HEAD' ? undefined : entry.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    port,
    publishOutputs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
