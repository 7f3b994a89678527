import { canonicalAction, evaluatePolicies, findUnknownAction, UnknownActionError, type EvaluationRequest, type EvaluationResult } from '../policy-engine/index.ts';
import type { Persona } from './personas.ts';
import { ADMIN_ACCOUNT_ID, type StackPolicies } from './stack-policies.ts';

/** What an admin asks about; each maps to the S3 action(s) AWS checks. */
export type Operation = 'get' | 'put' | 'delete' | 'list' | 'copy-from' | 'abort-upload' | 'list-parts';
export const OPERATIONS: Operation[] = ['get', 'put', 'delete', 'list', 'copy-from'];
const ALL_OPERATIONS: Operation[] = [...OPERATIONS, 'abort-upload', 'list-parts'];

/** One S3 action, as AWS spells it. */
export type S3Action = `s3:${string}`;

/** An operation the admin tools cannot ask about: not one of theirs, not an S3 action, or a pattern. */
class UnknownOperationError extends Error {
  override readonly name = 'UnknownOperationError';
}

/**
 * An operation name, or one real S3 action spelled as AWS spells it. A misspelt action throws
 * UnknownActionError: asked about, it would only ever be DENIED, which reads like an assurance.
 */
export function parseOperation(text: string): Operation | S3Action {
  if ((ALL_OPERATIONS as string[]).includes(text)) return text as Operation;
  if (!/^[A-Za-z0-9-]+:/.test(text)) throw new UnknownOperationError(`Unknown operation "${text}": use ${ALL_OPERATIONS.join(', ')} or an S3 action such as s3:GetObject.`);
  if (!text.toLowerCase().startsWith('s3:')) throw new UnknownOperationError(`"${text}" is not an S3 action: the admin tools ask about requests to the bucket (e.g. s3:GetObject).`);
  if (/[*?]/.test(text)) throw new UnknownOperationError(`"${text}" is an action pattern; a request names one action, e.g. s3:GetObject.`);
  const unknown = findUnknownAction(text);
  if (unknown) throw new UnknownActionError(unknown);
  return canonicalAction(text) as S3Action;
}

interface PersonaDecision {
  allowed: boolean;
  /** One check per action the operation needs (copy-from reads the source and writes a copy into the own prefix). */
  checks: Array<{ request: EvaluationRequest; result: EvaluationResult }>;
}

/**
 * Evaluates an operation on a key for a persona exactly as the local cloud would: the persona's
 * role policies (authenticated or guest role of the pool) plus the bucket policy, over HTTPS,
 * with the Cognito context keys and session tags its credentials would carry.
 */
export function decideForPersona(stack: StackPolicies, persona: Persona, operation: Operation | string, key: string): PersonaDecision {
  const role = persona.kind === 'guest' ? stack.guestRole : stack.authenticatedRole;
  const objectArn = (objectKey: string) => `arn:aws:s3:::${stack.bucket}/${objectKey}`;
  const listPrefix = key;
  // The client library names the encryption on every upload when the stack requires it (its
  // requireEncryptionHeader deny refuses a put without); a raw s3:PutObject stays a bare request.
  const encryptionHeader: Record<string, string> = stack.uploadEncryption ? { 's3:x-amz-server-side-encryption': stack.uploadEncryption } : {};
  const actions: Array<{ action: string; resource: string; extra?: Record<string, string> }> =
    operation === 'get'
      ? [{ action: 's3:GetObject', resource: objectArn(key) }]
      : operation === 'put'
        ? [{ action: 's3:PutObject', resource: objectArn(key), extra: encryptionHeader }]
        : operation === 'delete'
          ? [{ action: 's3:DeleteObject', resource: objectArn(key) }]
          : operation === 'list'
            ? [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${stack.bucket}`, extra: { 's3:prefix': listPrefix } }]
            : operation === 'copy-from'
              ? [
                  { action: 's3:GetObject', resource: objectArn(key) },
                  { action: 's3:PutObject', resource: objectArn(`users/${persona.identityId}/copy`), extra: { 's3:x-amz-copy-source': `${stack.bucket}/${key}`, ...encryptionHeader } },
                ]
              : operation === 'abort-upload'
                ? [{ action: 's3:AbortMultipartUpload', resource: objectArn(key) }]
                : operation === 'list-parts'
                  ? [{ action: 's3:ListMultipartUploadParts', resource: objectArn(key) }]
                  : [{ action: operation, resource: objectArn(key) }];

  const checks = actions.map(({ action, resource, extra }) => {
    const request: EvaluationRequest = {
      action,
      resource,
      principal: role ? { arn: `arn:aws:sts::${ADMIN_ACCOUNT_ID}:assumed-role/${role.name}/CognitoIdentityCredentials`, roleArn: role.arn, accountId: ADMIN_ACCOUNT_ID } : undefined,
      context: {
        'cognito-identity.amazonaws.com:sub': persona.identityId,
        'cognito-identity.amazonaws.com:aud': stack.identityPoolId,
        'cognito-identity.amazonaws.com:amr': persona.kind === 'guest' ? ['unauthenticated'] : ['authenticated'],
        'aws:SecureTransport': 'true',
        's3:TlsVersion': '1.3',
        'aws:userid': `${role ? stack.roleIds.get(role.arn) : 'NOROLE'}:CognitoIdentityCredentials`,
        'aws:PrincipalType': 'AssumedRole',
        ...(persona.tenant ? { 'aws:PrincipalTag/tenant': persona.tenant } : {}),
        ...extra,
      },
    };
    const result: EvaluationResult = role
      ? evaluatePolicies({ identityPolicies: role.policies, resourcePolicies: stack.bucketPolicies, permissionsBoundary: role.permissionsBoundary }, request)
      : { decision: 'ImplicitDeny', reason: 'no-allow', deciding: [], matchedStatements: [], variables: {}, action, resource, permissionsBoundary: undefined };
    return { request, result };
  });
  return { allowed: checks.every((check) => check.result.decision === 'Allow'), checks };
}
