import type { IssuedCredentials } from '../../credentials/issued-credentials.ts';

export type RequestContext = Record<string, string | string[]>;

/** One permission check: may `caller` do `action` on `resource` in this `context`? */
export interface S3AuthorizationRequest {
  caller: IssuedCredentials;
  /** e.g. `s3:PutObject` */
  action: string;
  /** `arn:aws:s3:::bucket/key` or `arn:aws:s3:::bucket` */
  resource: string;
  /** The condition keys AWS sets for this request (`aws:*`, `s3:*`, and the caller's session keys). */
  context: RequestContext;
}

interface S3AuthorizationDecision {
  allowed: boolean;
  /** Why, for logs and admin tooling; never sent to the client. */
  explanation?: string;
}

/** The IAM evaluation the local cloud plugs in (role policy together with the bucket policy). */
export type AuthorizeS3Request = (request: S3AuthorizationRequest) => S3AuthorizationDecision | Promise<S3AuthorizationDecision>;
