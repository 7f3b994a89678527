import { compilePolicy, evaluatePolicies, type ContextRecord, type EvaluationResult, type PolicyKind, type RequestPrincipal } from '../../../infra/policy-engine/index.ts';

export const OBJECT_ARN = 'arn:aws:s3:::bucket/key.txt';

export function policy(statements: object | object[], options: { name?: string; kind?: PolicyKind; version?: string } = {}) {
  return compilePolicy({ Version: options.version ?? '2012-10-17', Statement: statements }, { name: options.name ?? 'TestPolicy', kind: options.kind ?? 'identity' });
}

/** Whether an Allow statement with this Condition applies to a request with this context. */
export function conditionHolds(condition: object, context: ContextRecord): boolean {
  const compiled = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: condition });
  return evaluatePolicies({ identityPolicies: [compiled] }, { action: 's3:GetObject', resource: OBJECT_ARN, context }).decision === 'Allow';
}

export function decide(identityStatements: object | object[], request: { action?: string; resource?: string; context?: ContextRecord; principal?: RequestPrincipal }): EvaluationResult {
  return evaluatePolicies({ identityPolicies: [policy(identityStatements)] }, { action: request.action ?? 's3:GetObject', resource: request.resource ?? OBJECT_ARN, context: request.context ?? {}, principal: request.principal });
}
