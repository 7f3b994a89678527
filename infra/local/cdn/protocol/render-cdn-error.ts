import type { ServerResponse } from 'node:http';
import type { CdnError} from '../cdn-errors.ts';
import { InvalidRange, InvalidUri, NoSuchKey } from '../cdn-errors.ts';
import { writeEdgeHeaders } from './edge-headers.ts';

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

/** An error as CloudFront answers it: `<Error><Code>..</Code><Message>..</Message></Error>`, no body for HEAD. */
export function renderCdnError(response: ServerResponse, error: CdnError, method: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>`;
  response.statusCode = statusOf(error);
  writeEdgeHeaders(response, 'Error');
  if (error instanceof InvalidRange) response.setHeader('content-range', `bytes */${error.objectSize}`);
  response.setHeader('content-type', 'application/xml');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(method === 'HEAD' ? undefined : body);
}
