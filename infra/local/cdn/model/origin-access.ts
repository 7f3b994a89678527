import { evaluatePolicies, explainDecision, type CompiledPolicy } from '../../../policy-engine/index.ts';

const CLOUDFRONT_SERVICE = 'cloudfront.amazonaws.com';

export interface OriginAccessDecision {
  allowed: boolean;
  /** Why not, for logs; never sent to the viewer. */
  explanation?: string;
}

/** May the distribution (through origin access control) do `action` on `resource`? */
export type AuthorizeOriginRequest = (action: 's3:GetObject' | 's3:ListBucket', resource: string, now: Date) => OriginAccessDecision;

/**
 * The origin's side of origin access control, as S3 decides it: the request comes from the
 * service principal `cloudfront.amazonaws.com` over TLS with `aws:SourceArn` the distribution's
 * ARN, and only the bucket policy can allow it (the service has no identity policy here).
 */
export function createOriginAuthorizer(options: { bucketPolicy: CompiledPolicy | undefined; distributionArn: string; accountId: string }): AuthorizeOriginRequest {
  return (action, resource, now) => {
    const result = evaluatePolicies(
      { identityPolicies: [], resourcePolicies: options.bucketPolicy ? [options.bucketPolicy] : [] },
      {
        action,
        resource,
        principal: { service: CLOUDFRONT_SERVICE },
        context: {
          'aws:SourceArn': options.distributionArn,
          'aws:SourceAccount': options.accountId,
          'aws:SecureTransport': 'true',
          'aws:PrincipalServiceName': CLOUDFRONT_SERVICE,
          'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
          'aws:ViaAWSService': 'false',
        },
      },
    );
    return result.decision === 'Allow' ? { allowed: true } : { allowed: false, explanation: explainDecision(result) };
  };
}
