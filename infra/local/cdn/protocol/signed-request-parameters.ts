/** The signing values of one request, from its query string or its `CloudFront-*` cookies. */
export interface SignedRequestParameters {
  source: 'query' | 'cookies';
  keyPairId?: string;
  signature?: string;
  /** Custom policy (CloudFront base64). */
  policy?: string;
  /** Canned policy's expiry (epoch seconds, as text). */
  expires?: string;
  /** `SHA1` when absent. */
  hashAlgorithm?: string;
}

/** The request as verification sees it: its query split off its signing parameters. */
export interface SignedRequestTarget {
  parameters: SignedRequestParameters | undefined;
  /** The query string without CloudFront's own parameters, as sent (`''` when none is left). */
  remainingQuery: string;
}

const QUERY_PARAMETERS = { 'Key-Pair-Id': 'keyPairId', Signature: 'signature', Policy: 'policy', Expires: 'expires', 'Hash-Algorithm': 'hashAlgorithm' } as const;
const COOKIE_PARAMETERS = {
  'CloudFront-Key-Pair-Id': 'keyPairId',
  'CloudFront-Signature': 'signature',
  'CloudFront-Policy': 'policy',
  'CloudFront-Expires': 'expires',
  'CloudFront-Hash-Algorithm': 'hashAlgorithm',
} as const;

type ParameterField = Exclude<keyof SignedRequestParameters, 'source'>;

/**
 * Reads the signing parameters as CloudFront does: from the query string when it carries any of
 * them, else from the cookies. A parameter given twice is a different request from the one that
 * was signed, so only its first value counts (the signature then fails).
 */
export function readSignedRequestParameters(rawQuery: string, cookieHeader: string | undefined): SignedRequestTarget {
  const remaining: string[] = [];
  const fromQuery: SignedRequestParameters = { source: 'query' };
  let queryHasParameters = false;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const separator = piece.indexOf('=');
    const name = separator === -1 ? piece : piece.slice(0, separator);
    const field = Object.hasOwn(QUERY_PARAMETERS, name) ? QUERY_PARAMETERS[name as keyof typeof QUERY_PARAMETERS] : undefined;
    if (field === undefined) {
      remaining.push(piece);
      continue;
    }
    queryHasParameters = true;
    fromQuery[field] ??= decodeQueryValue(separator === -1 ? '' : piece.slice(separator + 1));
  }
  if (queryHasParameters) return { parameters: fromQuery, remainingQuery: remaining.join('&') };
  return { parameters: cookieParameters(cookieHeader), remainingQuery: remaining.join('&') };
}

function decodeQueryValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function cookieParameters(cookieHeader: string | undefined): SignedRequestParameters | undefined {
  if (cookieHeader === undefined) return undefined;
  const found: Partial<Record<ParameterField, string>> = {};
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1) continue;
    const name = pair.slice(0, separator).trim();
    const field = Object.hasOwn(COOKIE_PARAMETERS, name) ? COOKIE_PARAMETERS[name as keyof typeof COOKIE_PARAMETERS] : undefined;
    if (field !== undefined) found[field] ??= pair.slice(separator + 1).trim();
  }
  return Object.keys(found).length === 0 ? undefined : { source: 'cookies', ...found };
}
