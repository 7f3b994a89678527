export { compilePolicy } from './compile-policy.ts';
export type { CompiledPolicy, CompiledStatement, PolicyKind } from './compiled-policy.ts';
export { evaluatePolicies } from './evaluate-policy.ts';
export type { Decision, EvaluationRequest, EvaluationResult, PolicySet, RequestPrincipal, StatementReference } from './evaluate-policy.ts';
export { explainDecision } from './explain-decision.ts';
export { PolicyValidationError } from './policy-validation-error.ts';
export { RequestContext, type ContextValue } from './request-context.ts';
export { CONDITION_OPERATORS } from './condition-operators.ts';
export { loadTemplatePolicies, type TemplatePolicies, type TemplateRole } from './load-template-policies.ts';
