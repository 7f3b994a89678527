import type { ServerResponse } from 'node:http';
import { S3Error } from '../s3-errors.ts';
import { SigV4Error } from '../../sigv4/sigv4-error.ts';
import { renderXmlDocument } from './xml-documents.ts';

/** HTTP status of each S3 error code; every other code is a 400. */
const STATUS_BY_CODE: Record<string, number> = {
  NotModified: 304,
  AccessDenied: 403,
  AccessForbidden: 403,
  ForbiddenHost: 403,
  InvalidAccessKeyId: 403,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  PreconditionFailed: 412,
  InvalidRange: 416,
  InvalidPartNumber: 416,
  InternalError: 500,
  NotImplemented: 501,
};

interface ErrorTarget {
  /** The request path, S3's `<Resource>`. */
  resource: string;
  requestId: string;
  /** HEAD and 304 answers carry no body. */
  method: string;
}

interface ErrorAnswer {
  code: string;
  message: string;
  status: number;
  details: Record<string, string>;
}

/** What to answer for a failure: S3 and SigV4 errors as they are, anything else as a 500 InternalError. */
export function describeError(error: unknown): ErrorAnswer {
  if (error instanceof S3Error) return { code: error.code, message: error.message, status: STATUS_BY_CODE[error.code] ?? 400, details: error.details };
  if (error instanceof SigV4Error) return { code: error.code, message: error.message, status: STATUS_BY_CODE[error.code] ?? 400, details: {} };
  return { code: 'InternalError', message: 'We encountered an internal error. Please try again.', status: 500, details: {} };
}

/** Answers with S3's `<Error>` document. */
export function renderError(response: ServerResponse, answer: ErrorAnswer, target: ErrorTarget): void {
  const bodyless = target.method === 'HEAD' || answer.status === 304;
  const body = bodyless
    ? ''
    : renderXmlDocument(
        'Error',
        { Code: answer.code, Message: answer.message, ...answer.details, Resource: target.resource, RequestId: target.requestId },
        false,
      );
  response.statusCode = answer.status;
  if (!bodyless) response.setHeader('content-type', 'application/xml');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}
