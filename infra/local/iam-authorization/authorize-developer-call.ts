import { createHash } from 'node:crypto';
import { evaluatePolicies, type TemplatePolicies } from '../../policy-engine/index.ts';
import { identityPoolArn, type IdentityPool } from '../cognito/model/identity-pool.ts';
import type { AuthorizeDeveloperCall, CallerRejection } from '../cognito/service-hooks.ts';
import type { CredentialLookup } from '../credentials/issued-credentials.ts';
import { splitRequestTarget } from '../sigv4/signed-request.ts';
import { SigV4Error } from '../sigv4/sigv4-error.ts';
import { verifySigV4 } from '../sigv4/verify-sigv4.ts';
import { sessionPrincipal } from './session-principal.ts';

const REJECTION_BY_SIGV4_CODE: Record<string, CallerRejection> = {
  InvalidAccessKeyId: 'UnrecognizedClient',
  InvalidToken: 'UnrecognizedClient',
  SignatureDoesNotMatch: 'InvalidSignature',
  ExpiredToken: 'ExpiredToken',
  RequestTimeTooSkewed: 'InvalidSignature',
};

/**
 * Cognito's developer APIs are IAM-authorized: the call must carry a valid SigV4 signature of
 * issued credentials, and the caller's role must allow `cognito-identity:<Operation>` on the pool.
 */
export function createDeveloperCallAuthorizer(options: { region: string; accountId: string; credentials: CredentialLookup; policies: TemplatePolicies; identityPools: IdentityPool[]; clock?: () => Date }): AuthorizeDeveloperCall {
  return async (call) => {
    let verified;
    try {
      verified = await verifySigV4(
        { method: call.method, ...splitRequestTarget(call.path), headers: call.headers },
        {
          service: 'cognito-identity',
          region: options.region,
          credentials: options.credentials,
          now: options.clock?.() ?? new Date(),
          doubleEncodePath: true,
          bodySha256: createHash('sha256').update(call.body).digest('hex'),
        },
      );
    } catch (error) {
      if (error instanceof SigV4Error) return { allowed: false, error: REJECTION_BY_SIGV4_CODE[error.code] ?? 'IncompleteSignature', message: error.message };
      throw error;
    }
    if (!verified) return { allowed: false, error: 'MissingAuthenticationToken', message: `${call.operation} requires SigV4-signed requests from credentials allowed to call it.` };

    const caller = verified.caller;
    const role = options.policies.rolesByArn.get(caller.roleArn);
    const pool = options.identityPools.find((candidate) => candidate.identityPoolId === call.identityPoolId);
    const resource = pool ? identityPoolArn(pool, options.accountId) : `arn:aws:cognito-identity:${options.region}:${options.accountId}:identitypool/${call.identityPoolId ?? '*'}`;
    const decision = role
      ? evaluatePolicies(
          { identityPolicies: role.policies, permissionsBoundary: role.permissionsBoundary },
          { action: `cognito-identity:${call.operation}`, resource, principal: sessionPrincipal(caller), context: { ...caller.sessionContext, 'aws:userid': caller.userId, 'aws:PrincipalArn': caller.roleArn } },
        ).decision
      : 'ImplicitDeny';
    if (decision !== 'Allow') {
      return { allowed: false, error: 'AccessDenied', message: `User: ${caller.sessionArn} is not authorized to perform: cognito-identity:${call.operation} on resource: ${resource}` };
    }
    return { allowed: true, caller };
  };
}
