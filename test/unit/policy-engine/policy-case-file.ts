import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ContextRecord, RequestPrincipal } from '../../../infra/policy-engine/index.ts';

/**
 * A policy evaluation case file (test/unit/policy-engine/cases/*.json), written by hand:
 *
 *   {
 *     "description": "what the file shows",
 *     "policies": { "identity": doc | [doc], "resource": doc | [doc], "boundary": doc, "session": doc | [doc] },
 *        or "stack": "authenticated" (the default stack's authenticated role and bucket policy),
 *        "authenticated-with-guests" or "guest" (the default stack with guests allowed: its authenticated or guest role),
 *     "defaults": { "context": {...}, "principal": {...} },            (optional, under each request's own)
 *     "requests": [
 *       { "name": "...", "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key",
 *         "context": { "key": "value" | ["values"] | null }, "principal": {...},
 *         "expect": "allow" | "explicit-deny" | "implicit-deny", "decidedBy": ["Sid", ...] }
 *     ]
 *   }
 *
 * Only "identity" is required among the policies; "name", "context", "principal" and "decidedBy"
 * are optional. A request's context value null removes that key of the defaults (a missing key).
 * "decidedBy" lists the Sids of the statements that decide (the denies, or the
 * allows that together grant); a statement without Sid is "#<its index>". In a "stack" file,
 * "{bucket}" in a resource or context value stands for the stack's bucket name.
 */
export interface PolicyCaseFile {
  file: string;
  description: string;
  policies: PolicyDocuments | { stack: StackRole };
  requests: PolicyCase[];
}

export interface PolicyDocuments {
  identity: unknown[];
  resource: unknown[];
  boundary: unknown | undefined;
  session: unknown[];
}

export type ExpectedDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface PolicyCase {
  /** `name`, or the action and resource. */
  title: string;
  action: string;
  resource: string;
  context: ContextRecord;
  principal: RequestPrincipal | undefined;
  expect: ExpectedDecision;
  decidedBy: string[] | undefined;
}

/** A case file that is not valid JSON or not in the format above; the message names the file and the case. */
export class PolicyCaseFormatError extends Error {
  override readonly name = 'PolicyCaseFormatError';
}

const DECISIONS: readonly ExpectedDecision[] = ['allow', 'explicit-deny', 'implicit-deny'];
const FILE_MEMBERS = ['description', 'policies', 'stack', 'defaults', 'requests'];
const POLICY_MEMBERS = ['identity', 'resource', 'boundary', 'session'];
const DEFAULT_MEMBERS = ['context', 'principal'];
const REQUEST_MEMBERS = ['name', 'action', 'resource', 'context', 'principal', 'expect', 'decidedBy'];
const PRINCIPAL_MEMBERS = ['arn', 'accountId', 'roleArn', 'federated', 'service'];
/** Which synthesized stack and role a "stack" file evaluates against. */
export type StackRole = 'authenticated' | 'authenticated-with-guests' | 'guest';
const STACK_ROLES: readonly StackRole[] = ['authenticated', 'authenticated-with-guests', 'guest'];

/** Every `*.json` file of the folder, checked, in name order. */
export function readPolicyCaseFiles(directory: string): PolicyCaseFile[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const path = join(directory, name);
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new PolicyCaseFormatError(`${name}: not valid JSON: ${(error as Error).message}`);
      }
      return parsePolicyCaseFile(basename(path), parsed);
    });
}

export function parsePolicyCaseFile(file: string, parsed: unknown): PolicyCaseFile {
  const fail = (where: string, problem: string): never => {
    throw new PolicyCaseFormatError(`${file}${where}: ${problem}`);
  };
  const top = object(parsed, '', fail);
  onlyMembers(top, FILE_MEMBERS, '', fail);
  const description = text(top.description, ': "description"', fail);
  if (('policies' in top) === ('stack' in top)) fail('', 'give either "policies" (the policy documents) or "stack": "authenticated", not both or neither');

  let policies: PolicyCaseFile['policies'];
  if ('stack' in top) {
    if (!STACK_ROLES.includes(top.stack as StackRole)) fail(': "stack"', `must be one of ${STACK_ROLES.map((role) => `"${role}"`).join(', ')} (got ${JSON.stringify(top.stack)})`);
    policies = { stack: top.stack as StackRole };
  } else {
    const given = object(top.policies, ': "policies"', fail);
    onlyMembers(given, POLICY_MEMBERS, ': "policies"', fail);
    if (given.identity === undefined) fail(': "policies"', 'needs "identity" (one policy document or a list of them; [] for none)');
    const documents = (member: string) => (given[member] === undefined ? [] : Array.isArray(given[member]) ? (given[member] as unknown[]) : [given[member]]);
    if (Array.isArray(given.boundary)) fail(': "policies.boundary"', 'must be one policy document (a role has one permissions boundary)');
    policies = { identity: documents('identity'), resource: documents('resource'), boundary: given.boundary, session: documents('session') };
  }

  const defaults = top.defaults === undefined ? {} : object(top.defaults, ': "defaults"', fail);
  onlyMembers(defaults, DEFAULT_MEMBERS, ': "defaults"', fail);
  const defaultContext = defaults.context === undefined ? {} : context(defaults.context, ': "defaults.context"', fail);
  const defaultPrincipal = defaults.principal === undefined ? undefined : principal(defaults.principal, ': "defaults.principal"', fail);

  if (!Array.isArray(top.requests) || top.requests.length === 0) fail(': "requests"', 'must be a non-empty list of requests');
  const requests = (top.requests as unknown[]).map((entry, index): PolicyCase => {
    const label = typeof (entry as { name?: unknown })?.name === 'string' ? ` ("${(entry as { name: string }).name}")` : '';
    const where = `: requests[${index}]${label}`;
    const request = object(entry, where, fail);
    onlyMembers(request, REQUEST_MEMBERS, where, fail);
    const action = text(request.action, `${where} "action"`, fail);
    if (!/^[A-Za-z0-9-]+:[A-Za-z0-9]+$/.test(action)) fail(`${where} "action"`, `must be one action such as "s3:GetObject" (got "${action}")`);
    const resource = text(request.resource, `${where} "resource"`, fail);
    if (!DECISIONS.includes(request.expect as ExpectedDecision)) fail(`${where} "expect"`, `must be one of ${DECISIONS.map((decision) => `"${decision}"`).join(', ')} (got ${JSON.stringify(request.expect)})`);
    const decidedBy = request.decidedBy === undefined ? undefined : typeof request.decidedBy === 'string' ? [request.decidedBy] : request.decidedBy;
    if (decidedBy !== undefined) {
      if (!Array.isArray(decidedBy) || decidedBy.length === 0 || decidedBy.some((sid) => typeof sid !== 'string' || sid === '')) fail(`${where} "decidedBy"`, 'must be a Sid or a non-empty list of Sids');
      if (request.expect === 'implicit-deny') fail(`${where} "decidedBy"`, 'an implicit deny has no deciding statement: leave "decidedBy" out');
    }
    const ownPrincipal = request.principal === undefined ? undefined : principal(request.principal, `${where} "principal"`, fail);
    return {
      title: request.name === undefined ? `${request.expect as string}: ${action} ${resource}` : text(request.name, `${where} "name"`, fail),
      action,
      resource,
      context: withoutAbsentKeys({ ...defaultContext, ...(request.context === undefined ? {} : context(request.context, `${where} "context"`, fail, true)) }),
      principal: ownPrincipal ?? defaultPrincipal,
      expect: request.expect as ExpectedDecision,
      decidedBy: decidedBy as string[] | undefined,
    };
  });
  return { file, description, policies, requests };
}

type Fail = (where: string, problem: string) => never;

function object(value: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(where, `must be a JSON object (got ${describe(value)})`);
  return value as Record<string, unknown>;
}

function text(value: unknown, where: string, fail: Fail): string {
  if (typeof value !== 'string' || value === '') return fail(where, `must be a non-empty string (got ${describe(value)})`);
  return value;
}

/** Unknown members are mistakes (a misspelt "expect" would otherwise check nothing). */
function onlyMembers(value: Record<string, unknown>, allowed: readonly string[], where: string, fail: Fail): void {
  for (const member of Object.keys(value)) {
    if (!allowed.includes(member)) fail(where, `unknown member "${member}" (allowed: ${allowed.join(', ')})`);
  }
}

/** Context keys as AWS sends them; `absentAllowed`: null marks a default key as absent. */
function context(value: unknown, where: string, fail: Fail, absentAllowed = false): Record<string, string | string[] | null> {
  const record = object(value, where, fail);
  for (const [key, entry] of Object.entries(record)) {
    const valid = typeof entry === 'string' || (Array.isArray(entry) && entry.every((item) => typeof item === 'string')) || (absentAllowed && entry === null);
    if (!valid) fail(where, `"${key}" must be a string or a list of strings, as AWS sends keys (booleans, numbers and dates as strings too${absentAllowed ? '; null for a missing key' : ''}; got ${describe(entry)})`);
  }
  return record as Record<string, string | string[] | null>;
}

function withoutAbsentKeys(record: Record<string, string | string[] | null>): ContextRecord {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null)) as ContextRecord;
}

function principal(value: unknown, where: string, fail: Fail): RequestPrincipal {
  const record = object(value, where, fail);
  onlyMembers(record, PRINCIPAL_MEMBERS, where, fail);
  for (const [member, entry] of Object.entries(record)) if (typeof entry !== 'string') fail(where, `"${member}" must be a string`);
  return record as RequestPrincipal;
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : value === null ? 'null' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}
