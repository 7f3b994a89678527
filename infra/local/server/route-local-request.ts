import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LocalServices {
  cognito: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  s3: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

const COGNITO_TARGET_PREFIX = 'awscognitoidentityservice.';

/**
 * One port serves both services, as separate AWS endpoints would: Cognito Identity is JSON 1.1
 * (`X-Amz-Target` on `POST /`, its JWKS under `/.well-known/`, browser preflights to `/`);
 * everything else is S3's REST API in path style (bucket names cannot start with ".").
 */
export function routeLocalRequest(services: LocalServices) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0]!;
    const target = String(request.headers['x-amz-target'] ?? '').toLowerCase();
    if (path === '/healthz' && request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const isCognito = target.startsWith(COGNITO_TARGET_PREFIX) || path.startsWith('/.well-known/') || (path === '/' && request.method === 'OPTIONS');
    void (isCognito ? services.cognito : services.s3)(request, response);
  };
}
