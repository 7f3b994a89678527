import type { CompiledCondition } from './condition-operators.ts';
import type { PatternPiece, WildcardPattern } from './wildcard-pattern.ts';

/** Which role a policy plays in evaluation; it decides what its statements must and must not contain. */
export type PolicyKind = 'identity' | 'resource' | 'trust' | 'boundary' | 'session';

/** `literalPrefix`: the text before the first wildcard or variable, so most non-matching resources are ruled out with one `startsWith`. */
export type CompiledResource =
  | { kind: 'static'; components: WildcardPattern[]; text: string; literalPrefix: string }
  | {
      kind: 'template';
      text: string;
      literalPrefix: string;
      /** The first five ARN components, which hold no variable. */
      prefixComponents: WildcardPattern[];
      /** The resource component: wildcard pieces and variables, substituted per request. */
      resourcePieces: Array<PatternPiece | { variable: string; defaultValue?: string }>;
    };

export interface CompiledPrincipals {
  /** `"*"` or `{"AWS": "*"}`, which AWS documents as equivalent: everyone, anonymous callers included. */
  any: boolean;
  accounts: Set<string>;
  arns: Set<string>;
  federated: Set<string>;
  services: Set<string>;
}

export interface CompiledStatement {
  index: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  /** Lower-cased action patterns. */
  actions: WildcardPattern[];
  actionsNegated: boolean;
  actionTexts: string[];
  /** Undefined for trust policies, which have no Resource. */
  resources: CompiledResource[] | undefined;
  resourcesNegated: boolean;
  /** The variables its Resource / NotResource entries use: if one cannot be resolved, the statement does not apply. */
  resourceVariables: Array<{ variable: string; defaultValue?: string }>;
  principals: CompiledPrincipals | undefined;
  principalsNegated: boolean;
  conditions: CompiledCondition[];
  /** The statement as written, for explanations. */
  source: Record<string, unknown>;
}

export interface CompiledPolicy {
  name: string;
  kind: PolicyKind;
  version: string;
  statements: CompiledStatement[];
  /** Statements by lower-cased service prefix of their actions, plus `*` for statements that may match any service (NotAction, `*`). */
  statementsByService: Map<string, CompiledStatement[]>;
  /** Filled on first use per service: that service's statements plus the service-independent ones. */
  candidatesByService: Map<string, CompiledStatement[]>;
}
