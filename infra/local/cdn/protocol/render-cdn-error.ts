import type { ServerResponse } from 'node:http';
import type { CdnError } from '../cdn-errors.ts';
import { InvalidRange, InvalidUri, NoSuchKey } from '../cdn-errors.ts';
import { writeEdgeHeaders } from './edge-headers.ts';
import { writePolicyHeaders, type PolicyHeader } from './response-headers-policy-headers.ts';

/** Every failure is CloudFront's 403 unless listed here. */
function statusOf(error: CdnError): number {
  if (error instanceof NoSuchKey) return 404;
  if (error instanceof InvalidRange) return 416;
  if (error instanceof InvalidUri) return 400;
  return 403;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * An error as CloudFront answers it: `<Error><Code>..</Code><Message>..</Message></Error>`, no
 * body for HEAD, with the headers of the behaviour's response headers policy.
 */
export function renderCdnError(response: ServerResponse, error: CdnError, method: string, policyHeaders: readonly PolicyHeader[]): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>`;
  response.statusCode = statusOf(error);
  writeEdgeHeaders(response, 'Error');
  if (error instanceof InvalidRange) response.setHeader('content-range', `bytes */${error.objectSize}`);
  response.setHeader('content-type', 'application/xml');
  response.setHeader('content-length', Buffer.byteLength(body));
  writePolicyHeaders(policyHeaders, response);
  response.end(method === 'HEAD' ? undefined : body);
}
