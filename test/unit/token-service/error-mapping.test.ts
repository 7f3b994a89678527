import { describe, expect, it } from 'vitest';
import { translateCognitoError } from '../../../token-service/cognito/translate-cognito-error.ts';
import { errorResponse, failureDetail, LookupDisabledError, MethodNotAllowedError, RateLimitedError, UnauthenticatedError } from '../../../token-service/http/token-service-errors.ts';

function awsError(name: string): Error {
  return Object.assign(new Error(`AWS says: secret internals of ${name}`), { name });
}

describe('errorResponse', () => {
  it('renders typed errors with their status, code and headers', () => {
    expect(errorResponse(new RateLimitedError('slow down', 3))).toEqual({
      status: 429,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '3' },
      body: { error: { code: 'rate_limited', message: 'slow down' } },
    });
    expect(errorResponse(new MethodNotAllowedError('no', ['GET', 'POST'])).headers.allow).toBe('GET, POST');
    expect(errorResponse(new UnauthenticatedError('who?')).headers['www-authenticate']).toBe('Bearer');
    expect(errorResponse(new LookupDisabledError('off here'))).toEqual({
      status: 403,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: { error: { code: 'lookup_disabled', message: 'off here' } },
    });
  });

  it('turns anything else into a 500 without its text', () => {
    const response = errorResponse(new Error('ECONNRESET at /var/task/index.mjs:1:2'));
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'internal', message: 'The token service failed to answer this request.' } });
    expect(JSON.stringify(errorResponse('a string'))).not.toContain('a string');
  });
});

describe('translateCognitoError', () => {
  it.each([
    ['TooManyRequestsException', 503, 'upstream_unavailable'],
    ['LimitExceededException', 503, 'upstream_unavailable'],
    ['ResourceConflictException', 409, 'conflict'],
    ['ResourceNotFoundException', 404, 'not_found'],
    ['NotAuthorizedException', 500, 'internal'],
    ['AccessDeniedException', 500, 'internal'],
    ['InternalErrorException', 502, 'upstream_error'],
    ['TimeoutError', 502, 'upstream_error'],
  ])('maps %s to %i %s, with our own message', (name, status, code) => {
    const translated = translateCognitoError(awsError(name));
    const response = errorResponse(translated);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).not.toContain('AWS says');
    expect(failureDetail(translated)).toBe(`${name}: AWS says: secret internals of ${name}`);
  });

  it('adds Retry-After to throttling and uses the caller-specific messages', () => {
    expect(errorResponse(translateCognitoError(awsError('TooManyRequestsException'))).headers['retry-after']).toBe('1');
    expect(translateCognitoError(awsError('ResourceConflictException'), { conflict: 'taken' }).message).toBe('taken');
    expect(translateCognitoError(awsError('ResourceNotFoundException'), { notFound: 'gone' }).message).toBe('gone');
  });

  it('copes with things that are not errors', () => {
    expect(errorResponse(translateCognitoError(undefined)).status).toBe(502);
    expect(errorResponse(translateCognitoError({ name: 'TooManyRequestsException' })).status).toBe(502);
  });
});
