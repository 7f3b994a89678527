/** The IAM JSON policy grammar as written (before validation and compilation). */

export type PolicyVersion = '2012-10-17' | '2008-10-17';

/** The role a policy plays in evaluation; it decides which elements a statement must and must not have. */
export type PolicyKind = 'identity' | 'resource' | 'trust' | 'boundary' | 'session';

type StringOrList = string | string[];

export type PrincipalType = 'AWS' | 'Federated' | 'Service' | 'CanonicalUser';

export type PrincipalDocument = '*' | Partial<Record<PrincipalType, StringOrList>>;

type ConditionScalar = string | number | boolean;

/** Operator -> condition key -> value(s). */
type ConditionDocument = Record<string, Record<string, ConditionScalar | ConditionScalar[]>>;

export interface PolicyStatementDocument {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Principal?: PrincipalDocument;
  NotPrincipal?: PrincipalDocument;
  Condition?: ConditionDocument;
}

export interface PolicyDocument {
  Version?: PolicyVersion;
  Id?: string;
  Statement: PolicyStatementDocument | PolicyStatementDocument[];
}

export const POLICY_ELEMENTS = ['Version', 'Id', 'Statement'] as const;

export const STATEMENT_ELEMENTS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'] as const;
