import type { IssuedCredentials } from '../../credentials/issued-credentials.ts';
import type { VerifiedPostSignature } from '../../sigv4/verify-post-signature.ts';
import type { VerifiedSigV4Request } from '../../sigv4/verify-sigv4.ts';
import type { RequestContext } from './authorize-callback.ts';

export interface TransportFacts {
  secureTransport: boolean;
  sourceIp: string;
  /** e.g. `1.3`, for TLS connections. */
  tlsVersion?: string;
}

/** The global and authentication condition keys AWS sets on every authenticated S3 request. */
export function buildRequestContext(verified: VerifiedSigV4Request, transport: TransportFacts, now: Date, region: string): RequestContext {
  const { authorization } = verified;
  const context = commonContext(verified.caller, transport, now, region, {
    authType: authorization.location === 'header' ? 'REST-HEADER' : 'REST-QUERY-STRING',
    signatureAgeMs: verified.signatureAgeMs,
  });
  // The key covers the header only; pre-signed URLs never sign their payload.
  if (authorization.location === 'header') context['s3:x-amz-content-sha256'] = verified.contentSha256;
  return context;
}

/** The same keys for a browser-based POST Object (`s3:authType` `POST`; no payload hash is signed). */
export function buildPostRequestContext(verified: VerifiedPostSignature, transport: TransportFacts, now: Date, region: string): RequestContext {
  return commonContext(verified.caller, transport, now, region, { authType: 'POST', signatureAgeMs: verified.signatureAgeMs });
}

function commonContext(caller: IssuedCredentials, transport: TransportFacts, now: Date, region: string, signature: { authType: string; signatureAgeMs: number }): RequestContext {
  const context: RequestContext = {
    ...caller.sessionContext,
    'aws:SecureTransport': String(transport.secureTransport),
    'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:SourceIp': transport.sourceIp,
    'aws:userid': caller.userId,
    'aws:PrincipalArn': caller.roleArn,
    'aws:PrincipalType': 'AssumedRole',
    'aws:PrincipalAccount': caller.roleArn.split(':')[4] ?? '',
    'aws:RequestedRegion': region,
    'aws:ViaAWSService': 'false',
    's3:authType': signature.authType,
    's3:signatureversion': 'AWS4-HMAC-SHA256',
    's3:signatureAge': String(signature.signatureAgeMs),
  };
  if (transport.tlsVersion !== undefined) context['s3:TlsVersion'] = transport.tlsVersion;
  return context;
}
