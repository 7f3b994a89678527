import { headerValue, type SignedRequestParts } from './signed-request.ts';
import { SigV4Error } from './sigv4-error.ts';

const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** The longest validity of a pre-signed request: seven days, as on AWS. */
const MAX_PRESIGNED_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

export interface CredentialScope {
  /** `YYYYMMDD` */
  date: string;
  region: string;
  service: string;
}

/** What a request claims about its signature, before anything is checked against credentials. */
export interface SigV4Authorization {
  /** `header` for the Authorization header, `query` for a pre-signed URL. */
  location: 'header' | 'query';
  accessKeyId: string;
  scope: CredentialScope;
  /** Lower-case header names, in the order the client listed them. */
  signedHeaders: string[];
  signature: string;
  /** The request time as signed (`YYYYMMDDTHHMMSSZ`). */
  longDate: string;
  requestTime: Date;
  /** Pre-signed requests only. */
  expiresSeconds?: number;
  /** The session token the request carries, if any (`x-amz-security-token` header or query parameter). */
  sessionToken?: string;
}

const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** Query parameters of a SigV2 pre-signed URL (`AWSAccessKeyId=...&Signature=...&Expires=...`). */
const SIGV2_QUERY_PARAMETERS = new Set(['AWSAccessKeyId', 'Signature']);
const PRESIGN_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'] as const;

/**
 * Reads the SigV4 authorization a request carries, from its Authorization header or from the
 * query string of a pre-signed URL. Returns `undefined` for anonymous requests.
 */
export function parseSigV4Authorization(request: SignedRequestParts): SigV4Authorization | undefined {
  const header = headerValue(request.headers, 'authorization');
  const queryAuthorization = request.query.some(([name]) => name === 'X-Amz-Algorithm' || name === 'X-Amz-Signature' || name === 'X-Amz-Credential');
  const sigV2QueryAuthorization = request.query.some(([name]) => SIGV2_QUERY_PARAMETERS.has(name));
  if ((header !== undefined && (queryAuthorization || sigV2QueryAuthorization)) || (queryAuthorization && sigV2QueryAuthorization)) {
    throw new SigV4Error('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
  }
  if (header !== undefined) return parseAuthorizationHeader(header, request);
  if (queryAuthorization) return parsePresignedQuery(request);
  // A SigV2 pre-signed URL (AWS CLI v1, s3cmd) is refused as S3 refuses it, not treated as anonymous.
  if (sigV2QueryAuthorization) throw unsupportedMechanism();
  return undefined;
}

function unsupportedMechanism(): SigV4Error {
  return new SigV4Error('InvalidRequest', `The authorization mechanism you have provided is not supported. Please use ${SIGV4_ALGORITHM}.`);
}

function parseAuthorizationHeader(header: string, request: SignedRequestParts): SigV4Authorization {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) throw unsupportedMechanism();
  const fields = new Map<string, string>();
  for (const field of header.slice(space + 1).split(',')) {
    const equals = field.indexOf('=');
    if (equals > 0) fields.set(field.slice(0, equals).trim(), field.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw new SigV4Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const longDate = headerValue(request.headers, 'x-amz-date') ?? httpDateAsLongDate(headerValue(request.headers, 'date'));
  if (longDate === undefined) throw new SigV4Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const { accessKeyId, scope } = parseCredential(credential, 'AuthorizationHeaderMalformed');
  return {
    location: 'header',
    accessKeyId,
    scope,
    signedHeaders: parseSignedHeaders(signedHeaders, 'AuthorizationHeaderMalformed'),
    signature,
    longDate,
    requestTime: parseLongDate(longDate, 'AccessDenied'),
    sessionToken: headerValue(request.headers, 'x-amz-security-token'),
  };
}

function parsePresignedQuery(request: SignedRequestParts): SigV4Authorization {
  const parameters = new Map(request.query);
  if (PRESIGN_PARAMETERS.some((name) => !parameters.has(name))) {
    throw new SigV4Error(
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const read = (name: (typeof PRESIGN_PARAMETERS)[number]): string => parameters.get(name) ?? '';
  if (read('X-Amz-Algorithm') !== SIGV4_ALGORITHM) {
    throw new SigV4Error('AuthorizationQueryParametersError', `X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"`);
  }
  const expires = read('X-Amz-Expires');
  if (!/^\d{1,7}$/.test(expires)) throw new SigV4Error('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  const expiresSeconds = Number(expires);
  if (expiresSeconds > MAX_PRESIGNED_EXPIRY_SECONDS) {
    throw new SigV4Error('AuthorizationQueryParametersError', `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRY_SECONDS}`);
  }
  const { accessKeyId, scope } = parseCredential(read('X-Amz-Credential'), 'AuthorizationQueryParametersError');
  const longDate = read('X-Amz-Date');
  return {
    location: 'query',
    accessKeyId,
    scope,
    signedHeaders: parseSignedHeaders(read('X-Amz-SignedHeaders'), 'AuthorizationQueryParametersError'),
    signature: read('X-Amz-Signature'),
    longDate,
    requestTime: parseLongDate(longDate, 'AuthorizationQueryParametersError'),
    expiresSeconds,
    sessionToken: parameters.get('X-Amz-Security-Token'),
  };
}

function parseCredential(credential: string, errorCode: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError'): { accessKeyId: string; scope: CredentialScope } {
  const parts = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || !/^\d{8}$/.test(date)) {
    throw new SigV4Error(errorCode, `The authorization is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  return { accessKeyId, scope: { date, region, service } };
}

function parseSignedHeaders(list: string, errorCode: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError'): string[] {
  const names = list.split(';').map((name) => name.trim().toLowerCase());
  if (names.some((name) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))) {
    throw new SigV4Error(errorCode, 'The authorization is malformed; SignedHeaders contains an invalid header name.');
  }
  return names;
}

function parseLongDate(longDate: string, errorCode: 'AccessDenied' | 'AuthorizationQueryParametersError'): Date {
  const match = LONG_DATE.exec(longDate);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])) : NaN;
  if (Number.isNaN(time)) {
    throw new SigV4Error(errorCode, errorCode === 'AccessDenied' ? 'AWS authentication requires a valid Date or x-amz-date header' : 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  }
  return new Date(time);
}

/** SigV4 also accepts an HTTP `Date` header in place of `x-amz-date`; the string to sign then uses its ISO-8601 basic form. */
function httpDateAsLongDate(httpDate: string | undefined): string | undefined {
  if (httpDate === undefined) return undefined;
  const time = Date.parse(httpDate);
  if (Number.isNaN(time)) return undefined;
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
