import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Browsers call Cognito Identity directly (the web page exchanges its token for credentials), so,
 * like the AWS endpoint, every answer allows any origin and preflights allow what the SDK sends.
 */
export function allowCrossOrigin(response: ServerResponse): void {
  response.setHeader('access-control-allow-origin', '*');
  response.setHeader('access-control-expose-headers', 'x-amzn-RequestId, x-amzn-ErrorType');
}

export function answerPreflight(request: IncomingMessage, response: ServerResponse): void {
  const requestedHeaders = request.headers['access-control-request-headers'];
  response.writeHead(204, {
    'access-control-allow-methods': 'POST, GET, OPTIONS',
    'access-control-allow-headers': typeof requestedHeaders === 'string' ? requestedHeaders : 'content-type, x-amz-target, x-amz-user-agent, authorization, x-amz-date, x-amz-security-token',
    'access-control-max-age': '86400',
  });
  response.end();
}
