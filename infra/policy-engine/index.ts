export { compilePolicy, statementsForAction, type CompiledPolicy, type CompiledStatement, type CompilePolicyOptions } from './compile-policy.ts';
export { evaluatePolicies, type Decision, type EvaluationRequest, type EvaluationResult, type PolicySet, type StatementReference } from './evaluate-policy.ts';
export { explainDecision } from './explain-decision.ts';
export { PolicyValidationError, type PolicyLocation } from './errors.ts';
export { CONDITION_OPERATOR_NAMES } from './condition-operators.ts';
export type { ContextRecord, ContextValue } from './request-context.ts';
export type { PrincipalMatch, RequestPrincipal } from './principal-pattern.ts';
export type { PolicyDocument, PolicyKind, PolicyStatementDocument, PolicyVersion } from './policy-document.ts';
export { loadTemplatePolicies, type CloudFormationTemplate, type IdentityPoolRoles, type LoadTemplatePoliciesOptions, type TemplatePolicies, type TemplateRole } from './load-template-policies.ts';
