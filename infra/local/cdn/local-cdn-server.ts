import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHostCheck, FORBIDDEN_HOST_MESSAGE } from '../../../app/web/loopback-host-check.ts';
import { startDualProtocolServer } from '../server/dual-protocol-server.ts';
import { ForbiddenHost } from './cdn-errors.ts';
import { renderCdnError } from './protocol/render-cdn-error.ts';
import { createCdnRequestHandler, type CdnHandlerOptions } from './routes.ts';

export interface LocalCdnServerOptions extends CdnHandlerOptions {
  host: string;
  /** 0: a free one. */
  port: number;
  certificatePem: string;
  keyPem: string;
  idleTimeoutMs: number;
  /** Host names answered besides localhost, 127.0.0.1 and [::1]. @default none */
  allowedHosts?: readonly string[];
  /** Log each request to stderr. @default false */
  logRequests?: boolean;
}

export interface RunningLocalCdn {
  port: number;
  close(): Promise<void>;
}

/**
 * The local CloudFront distribution on its own port, speaking HTTPS and loopback HTTP like the
 * local cloud's port, with the same DNS-rebinding guard.
 */
export async function startLocalCdnServer(options: LocalCdnServerOptions): Promise<RunningLocalCdn> {
  const handle = createCdnRequestHandler(options);
  const isAllowedHost = createHostCheck(options.allowedHosts);
  const route = (request: IncomingMessage, response: ServerResponse): void => {
    if (!isAllowedHost(request.headersDistinct.host, request.url)) {
      renderCdnError(response, new ForbiddenHost(FORBIDDEN_HOST_MESSAGE), request.method ?? 'GET', []);
      return;
    }
    void handle(request, response);
  };
  const server = await startDualProtocolServer({
    host: options.host,
    port: options.port,
    certificatePem: options.certificatePem,
    keyPem: options.keyPem,
    idleTimeoutMs: options.idleTimeoutMs,
    listener: options.logRequests
      ? (request, response) => {
          const started = Date.now();
          // The path only: a signed URL's query string is a bearer credential.
          response.on('finish', () => process.stderr.write(`cdn ${request.method} ${(request.url ?? '').split('?')[0]} ${response.statusCode} ${Date.now() - started}ms\n`));
          route(request, response);
        }
      : route,
  });
  return server;
}
