/**
 * Temporary credentials the local cloud has issued (what STS would issue on AWS when Cognito
 * calls AssumeRoleWithWebIdentity for an identity). The S3 and Cognito endpoints look the
 * caller up by access key id to verify its SigV4 signature and to build the IAM request context.
 */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO-8601 instant after which the credentials are refused with ExpiredToken. */
  expiration: string;
  /** ARN of the IAM role the session belongs to, e.g. `arn:aws:iam::000000000000:role/AuthRole`. */
  roleArn: string;
  /** ARN of the session, e.g. `arn:aws:sts::000000000000:assumed-role/AuthRole/CognitoIdentityCredentials`. */
  sessionArn: string;
  /** `aws:userid` of the session: `<role id>:<session name>`. */
  userId: string;
  /** Request context keys fixed for the session's lifetime (`cognito-identity.amazonaws.com:*`, `aws:PrincipalTag/*`, ...). */
  sessionContext: Record<string, string | string[]>;
}

export interface CredentialLookup {
  /** The credentials with this access key id, expired ones included (so callers can answer ExpiredToken), or `undefined`. */
  findByAccessKeyId(accessKeyId: string): IssuedCredentials | undefined;
}
