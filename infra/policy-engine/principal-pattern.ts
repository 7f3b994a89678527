import { PolicyFault } from './policy-engine-errors.ts';
import type { PrincipalDocument, PrincipalType } from './policy-document.ts';

/** Who is making the request, for `Principal`/`NotPrincipal` of resource and trust policies. */
export interface RequestPrincipal {
  /** The caller: an assumed-role session (`arn:aws:sts::123:assumed-role/Role/session`), an IAM user, an account root. */
  arn?: string;
  accountId?: string;
  /** The role behind an assumed-role session, when known (else derived from `arn`). */
  roleArn?: string;
  /** A web identity or SAML provider, e.g. `cognito-identity.amazonaws.com`. */
  federated?: string;
  /** An AWS service principal, e.g. `lambda.amazonaws.com`. */
  service?: string;
}

/**
 * How a principal was named. `exact` (a session or user ARN) grants beyond a permissions
 * boundary or session policy; `account` delegates to the account's identity policies.
 */
export type PrincipalMatch = 'exact' | 'role' | 'federated' | 'service' | 'everyone' | 'account';

export interface PrincipalPattern {
  everyone: boolean;
  accounts: ReadonlySet<string>;
  roleKeys: ReadonlySet<string>;
  arns: ReadonlySet<string>;
  federated: ReadonlySet<string>;
  services: ReadonlySet<string>;
}

const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:[a-z-]+:(iam|sts)::(\d{12}):(.+)$/;
const PRINCIPAL_TYPES: readonly PrincipalType[] = ['AWS', 'Federated', 'Service', 'CanonicalUser'];

export function compilePrincipal(document: PrincipalDocument): PrincipalPattern {
  const pattern = { everyone: false, accounts: new Set<string>(), roleKeys: new Set<string>(), arns: new Set<string>(), federated: new Set<string>(), services: new Set<string>() };
  if (document === '*') return { ...pattern, everyone: true };
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new PolicyFault('Principal must be "*" or an object such as {"AWS": [...]}');
  const entries = Object.entries(document);
  if (entries.length === 0) throw new PolicyFault('Principal names no principal');
  for (const [type, value] of entries) {
    if (!PRINCIPAL_TYPES.includes(type as PrincipalType)) throw new PolicyFault(`unknown principal type "${type}" (expected AWS, Federated, Service or CanonicalUser)`);
    if (type === 'CanonicalUser') throw new PolicyFault('CanonicalUser principals are not supported: S3 ACL identities do not exist here');
    const values = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values) || values.length === 0 || values.some((item) => typeof item !== 'string' || item === '')) throw new PolicyFault(`Principal ${type} must be a non-empty string or list of strings`);
    for (const item of values) {
      if (item === '*') {
        pattern.everyone = true;
        continue;
      }
      if (/[*?]/.test(item)) throw new PolicyFault(`principal "${item}": wildcards are not allowed in Principal except "*" alone`);
      if (type === 'Federated') pattern.federated.add(item);
      else if (type === 'Service') pattern.services.add(item);
      else addAwsPrincipal(pattern, item);
    }
  }
  return pattern;
}

function addAwsPrincipal(pattern: { accounts: Set<string>; roleKeys: Set<string>; arns: Set<string> }, text: string): void {
  if (ACCOUNT_ID.test(text)) {
    pattern.accounts.add(text);
    return;
  }
  const match = IAM_ARN.exec(text);
  if (!match) throw new PolicyFault(`principal "${text}" is not an account id or an IAM/STS principal ARN`);
  const [, service, account, resource] = match as unknown as [string, string, string, string];
  if (service === 'iam' && resource === 'root') pattern.accounts.add(account);
  else if (service === 'iam' && resource.startsWith('role/')) pattern.roleKeys.add(`${account}/${resource.slice(resource.lastIndexOf('/') + 1)}`);
  else if ((service === 'iam' && resource.startsWith('user/')) || (service === 'sts' && /^(assumed-role\/[^/]+\/.+|federated-user\/.+)$/.test(resource))) pattern.arns.add(text);
  else throw new PolicyFault(`principal "${text}" is not an account, user, role or session ARN`);
}

const ASSUMED_ROLE = /^arn:[a-z-]+:sts::(\d{12}):assumed-role\/([^/]+)\//;
const ROLE = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/** The caller as patterns compare it; the role behind a session is worked out only if a pattern names roles. */
export class PrincipalFacts {
  private role: RegExpExecArray | null | undefined;

  constructor(private readonly principal: RequestPrincipal) {}

  get arn(): string | undefined {
    return this.principal.arn;
  }

  get federated(): string | undefined {
    return this.principal.federated;
  }

  get service(): string | undefined {
    return this.principal.service;
  }

  get accountId(): string | undefined {
    return this.principal.accountId ?? this.roleMatch()?.[1];
  }

  /** `account/RoleName` of the role behind a session (role paths are not part of session ARNs). */
  get roleKey(): string | undefined {
    const role = this.roleMatch();
    return role ? `${role[1]}/${role[2]}` : undefined;
  }

  private roleMatch(): RegExpExecArray | null {
    if (this.role === undefined) {
      const { roleArn, arn } = this.principal;
      this.role = (roleArn === undefined ? null : ROLE.exec(roleArn)) ?? (arn === undefined ? null : (ASSUMED_ROLE.exec(arn) ?? ROLE.exec(arn)));
    }
    return this.role;
  }
}

/** The most specific way the pattern names the principal, or undefined. */
export function matchPrincipal(pattern: PrincipalPattern, facts: PrincipalFacts | undefined): PrincipalMatch | undefined {
  if (facts) {
    if (facts.arn !== undefined && pattern.arns.has(facts.arn)) return 'exact';
    if (pattern.roleKeys.size > 0 && facts.roleKey !== undefined && pattern.roleKeys.has(facts.roleKey)) return 'role';
    if (facts.federated !== undefined && pattern.federated.has(facts.federated)) return 'federated';
    if (facts.service !== undefined && pattern.services.has(facts.service)) return 'service';
  }
  if (pattern.everyone) return 'everyone';
  if (facts?.accountId !== undefined && pattern.accounts.has(facts.accountId)) return 'account';
  return undefined;
}

/**
 * Whether `NotPrincipal` exempts the principal. AWS checks the account, then the role, then
 * the session, so an IAM principal is exempt only when its account and its role, session or
 * user are all listed (the documented reason to list the account ARN too).
 */
export function exemptedByNotPrincipal(pattern: PrincipalPattern, facts: PrincipalFacts | undefined): boolean {
  if (!facts) return false;
  if (pattern.everyone) return true;
  if (facts.federated !== undefined) return pattern.federated.has(facts.federated);
  if (facts.service !== undefined) return pattern.services.has(facts.service);
  if (facts.accountId === undefined || !pattern.accounts.has(facts.accountId)) return false;
  if (facts.arn === undefined || facts.arn.endsWith(':root')) return true;
  return pattern.arns.has(facts.arn) || (facts.roleKey !== undefined && pattern.roleKeys.has(facts.roleKey));
}
