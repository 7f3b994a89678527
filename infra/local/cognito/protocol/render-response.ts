import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { CognitoIdentityError, InternalErrorException } from '../cognito-errors.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** HTTP status of each error `__type`; every other type is a 400. */
const STATUS_BY_TYPE: Record<string, number> = {
  MissingAuthenticationTokenException: 403,
  ForbiddenHostException: 403,
  RequestEntityTooLargeException: 413,
  InternalErrorException: 500,
};

export function renderResult(response: ServerResponse, output: object): void {
  send(response, 200, JSON.stringify(output), {});
}

/** The one place errors reach the wire: `{"__type", "message"}` plus the `x-amzn-ErrorType` header. */
export function renderError(response: ServerResponse, error: unknown): void {
  const known = error instanceof CognitoIdentityError ? error : new InternalErrorException('The service encountered an internal error.');
  send(response, STATUS_BY_TYPE[known.type] ?? 400, JSON.stringify({ __type: known.type, message: known.message }), { 'x-amzn-ErrorType': `${known.type}:` });
}

/** The JSON 1.1 protocol encodes timestamps as (fractional) epoch seconds. */
export function epochSeconds(date: Date | string): number {
  return new Date(date).getTime() / 1000;
}

function send(response: ServerResponse, statusCode: number, body: string, headers: Record<string, string>): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(statusCode, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  response.end(body);
}
