import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHostCheck, FORBIDDEN_HOST_MESSAGE } from '../../../app/web/loopback-host-check.ts';
import { ForbiddenHostException } from '../cognito/cognito-errors.ts';
import { renderError as renderCognitoError } from '../cognito/protocol/render-response.ts';
import { describeError, renderError as renderS3Error } from '../s3/protocol/render-error.ts';
import { nextRequestIds } from '../s3/protocol/request-ids.ts';
import { ForbiddenHost } from '../s3/s3-errors.ts';

interface LocalServices {
  cognito: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  s3: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

interface LocalRoutingOptions {
  /** Host names answered besides localhost, 127.0.0.1 and [::1] (DNS-rebinding guard). @default none */
  allowedHosts?: readonly string[];
}

const COGNITO_TARGET_PREFIX = 'awscognitoidentityservice.';

/**
 * One port serves both services, as separate AWS endpoints would: Cognito Identity is JSON 1.1
 * (`X-Amz-Target` on `POST /`, its JWKS under `/.well-known/`, browser preflights to `/`);
 * everything else is S3's REST API in path style (bucket names cannot start with "."). A request
 * addressed to another host than this machine's loopback names is refused in the protocol it speaks.
 */
export function routeLocalRequest(services: LocalServices, options: LocalRoutingOptions = {}) {
  const isAllowedHost = createHostCheck(options.allowedHosts);
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0]!;
    const target = String(request.headers['x-amz-target'] ?? '').toLowerCase();
    const isCognito = target.startsWith(COGNITO_TARGET_PREFIX) || path.startsWith('/.well-known/') || (path === '/' && request.method === 'OPTIONS');
    if (!isAllowedHost(hostHeaders(request), request.url)) {
      refuseHost(request, response, path, isCognito);
      return;
    }
    if (path === '/healthz' && request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    void (isCognito ? services.cognito : services.s3)(request, response);
  };
}

function refuseHost(request: IncomingMessage, response: ServerResponse, path: string, isCognito: boolean): void {
  if (isCognito) {
    renderCognitoError(response, new ForbiddenHostException(FORBIDDEN_HOST_MESSAGE));
    return;
  }
  const { requestId } = nextRequestIds();
  response.setHeader('x-amz-request-id', requestId);
  renderS3Error(response, describeError(new ForbiddenHost(FORBIDDEN_HOST_MESSAGE)), { resource: path, requestId, method: request.method ?? 'GET' });
}

/**
 * Every Host header the request carried, read from the raw headers (`headersDistinct` would
 * build an array of every header of every request for this one name).
 */
function hostHeaders(request: IncomingMessage): string[] {
  const hosts: string[] = [];
  const raw = request.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts.push(raw[index + 1]!);
  }
  return hosts;
}
