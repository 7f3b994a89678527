import type { CredentialLookup, IssuedCredentials } from '../credentials/issued-credentials.ts';
import type { CredentialScope } from './parse-sigv4-authorization.ts';
import { deriveSigningKey, hmacHex, signaturesMatch } from './request-signature.ts';
import { SigV4Error } from './sigv4-error.ts';

/** The SigV4 fields of a browser-based POST form (lower-case names), as the form sent them. */
export interface PostSignatureFields {
  policy: string;
  algorithm: string | undefined;
  credential: string | undefined;
  date: string | undefined;
  signature: string | undefined;
  securityToken: string | undefined;
}

export interface VerifiedPostSignature {
  caller: IssuedCredentials;
  scope: CredentialScope;
  /** Milliseconds since `x-amz-date`, for `s3:signatureAge`. */
  signatureAgeMs: number;
}

interface PostSignatureOptions {
  region: string;
  credentials: CredentialLookup;
  now: Date;
}

const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Verifies the signature of a POST Object form: SigV4 signs the base64 policy itself (not a
 * canonical request) with the signing key of the credential's scope. The session token of
 * temporary credentials is checked against the issued ones as for any other request; the
 * policy's own expiration is the caller's to check (it is part of the policy, not the signature).
 */
export async function verifyPostSignature(fields: PostSignatureFields, options: PostSignatureOptions): Promise<VerifiedPostSignature> {
  if (fields.algorithm !== 'AWS4-HMAC-SHA256') {
    throw new SigV4Error('InvalidArgument', fields.algorithm === undefined ? missingField('x-amz-algorithm') : 'Only the AWS4-HMAC-SHA256 algorithm is supported for POST requests.');
  }
  if (fields.credential === undefined) throw new SigV4Error('InvalidArgument', missingField('x-amz-credential'));
  if (fields.date === undefined) throw new SigV4Error('InvalidArgument', missingField('x-amz-date'));
  if (fields.signature === undefined) throw new SigV4Error('InvalidArgument', missingField('x-amz-signature'));
  const { accessKeyId, scope } = parseCredential(fields.credential);
  const signedAt = parseLongDate(fields.date);
  if (scope.region !== options.region) throw new SigV4Error('AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; the region '${scope.region}' is wrong; expecting '${options.region}'`);
  if (scope.service !== 's3') throw new SigV4Error('AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; incorrect service '${scope.service}'. This endpoint belongs to 's3'.`);
  if (scope.date !== fields.date.slice(0, 8)) throw new SigV4Error('AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.');

  const caller = options.credentials.findByAccessKeyId(accessKeyId);
  if (caller === undefined) throw new SigV4Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const signingKey = deriveSigningKey(caller.secretAccessKey, scope);
  // S3 compares the lower-case hex digest as sent: an upper-case signature does not match.
  if (!signaturesMatch(hmacHex(signingKey, fields.policy), fields.signature)) {
    throw new SigV4Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  if (fields.securityToken === undefined || !signaturesMatch(caller.sessionToken, fields.securityToken)) {
    throw new SigV4Error('InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  if (options.now.getTime() >= Date.parse(caller.expiration)) throw new SigV4Error('ExpiredToken', 'The provided token has expired.');
  return { caller, scope, signatureAgeMs: Math.max(0, options.now.getTime() - signedAt.getTime()) };
}

/** S3's answer to a form missing one of the fields it needs. */
function missingField(name: string): string {
  return `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`;
}

function parseCredential(credential: string): { accessKeyId: string; scope: CredentialScope } {
  const parts = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || !/^\d{8}$/.test(date)) {
    throw new SigV4Error('AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  return { accessKeyId, scope: { date, region, service } };
}

function parseLongDate(longDate: string): Date {
  const match = LONG_DATE.exec(longDate);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])) : NaN;
  if (Number.isNaN(time)) throw new SigV4Error('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  return new Date(time);
}
