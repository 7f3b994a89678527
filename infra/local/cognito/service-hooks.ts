import type { IncomingHttpHeaders } from 'node:http';
import type { IssuedCredentials } from '../credentials/issued-credentials.ts';
import type { OpenIdTokenClaims } from './tokens/openid-token.ts';

/**
 * A developer API call as it arrived, for the caller check AWS does with SigV4 and IAM
 * (`cognito-identity:<operation>` on the identity pool).
 */
export interface DeveloperCall {
  headers: IncomingHttpHeaders;
  method: string;
  path: string;
  body: Uint8Array;
  /** e.g. `GetOpenIdTokenForDeveloperIdentity`. */
  operation: string;
  /** The pool the call touches; `undefined` when it names an identity that does not exist. */
  identityPoolId: string | undefined;
}

/** Why a caller was turned away; each maps to the AWS error of the same name (`AccessDenied` -> `AccessDeniedException`). */
export type CallerRejection =
  | 'NotAuthorized'
  | 'AccessDenied'
  | 'UnrecognizedClient'
  | 'InvalidSignature'
  | 'IncompleteSignature'
  | 'MissingAuthenticationToken'
  | 'ExpiredToken';

type DeveloperCallDecision = { allowed: true; caller?: IssuedCredentials } | { allowed: false; error: CallerRejection; message: string };

export type AuthorizeDeveloperCall = (call: DeveloperCall) => Promise<DeveloperCallDecision>;

/** What Cognito asks STS for in GetCredentialsForIdentity. */
export interface WebIdentityRoleRequest {
  roleArn: string;
  /** The verified claims of the identity's OpenID token (minted internally for guests without one). */
  webIdentityClaims: OpenIdTokenClaims;
  principalTags: Record<string, string>;
  identityId: string;
}

/** `roleId` (`AROA...`) becomes part of the session's `aws:userid`. */
type WebIdentityRoleDecision = { allowed: true; roleId: string } | { allowed: false; message: string };

/** Checks the role's trust policy (principal `cognito-identity.amazonaws.com`, `aud`/`amr` conditions, `sts:TagSession`). */
export type AssumeRoleWithWebIdentity = (request: WebIdentityRoleRequest) => Promise<WebIdentityRoleDecision>;
