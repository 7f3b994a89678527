import { AccessDenied, InvalidPolicyDocument } from '../s3-errors.ts';

/** One condition of a POST policy; `field` is lower-case without the `$`, `text` is how S3 quotes it in errors. */
export type PostPolicyCondition =
  | { kind: 'eq'; field: string; value: string; text: string }
  | { kind: 'starts-with'; field: string; prefix: string; text: string }
  | { kind: 'content-length-range'; min: number; max: number; text: string }
  /** A condition S3 cannot interpret: it fails whatever the form holds, as on S3. */
  | { kind: 'unusable'; text: string };

export interface PostPolicy {
  expiration: Date;
  conditions: PostPolicyCondition[];
}

/** The form as the policy sees it: lower-case field names, `bucket` from the request, `key` after `${filename}`. */
export interface PolicyFormView {
  /** Every field the form sent before the file (lower-case name -> value). */
  fields: ReadonlyMap<string, string>;
  bucket: string;
  key: string;
}

/** Fields no condition needs to name (S3's documented exemptions). */
const EXEMPT_FIELDS = new Set(['x-amz-signature', 'file', 'policy']);

/** `starts-with` is allowed on these fields only; every other field takes exact matches. */
const STARTS_WITH_FIELDS = new Set(['key', 'acl', 'content-type', 'cache-control', 'content-disposition', 'content-encoding', 'expires', 'success_action_redirect', 'redirect']);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes the `policy` field: base64 of `{"expiration": ISO-8601, "conditions": [...]}`. */
export function parsePostPolicy(encoded: string): PostPolicy {
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw new InvalidPolicyDocument('Invalid Policy: Invalid Base64 encoding.');
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw new InvalidPolicyDocument('Invalid Policy: Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new InvalidPolicyDocument('Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (expiration === undefined) throw new InvalidPolicyDocument('Invalid Policy: Policy missing expiration.');
  if (typeof expiration !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(expiration) || Number.isNaN(Date.parse(expiration))) {
    throw new InvalidPolicyDocument(`Invalid Policy: Invalid 'expiration' value: '${String(expiration)}'`);
  }
  if (conditions === undefined) throw new InvalidPolicyDocument('Invalid Policy: Policy missing conditions.');
  if (!Array.isArray(conditions)) throw new InvalidPolicyDocument('Invalid Policy: Invalid conditions.');
  return { expiration: new Date(expiration), conditions: conditions.flatMap(parseCondition) };
}

/**
 * Checks the form against the policy as S3 does: not expired, every condition holds, and every
 * field but the exemptions (and `x-ignore-*`) is named by a condition. Returns the allowed body
 * length (the intersection of the `content-length-range` conditions); the body is measured later.
 */
export function checkPostPolicy(policy: PostPolicy, form: PolicyFormView, now: Date): { minBytes: number; maxBytes: number } {
  if (now.getTime() >= policy.expiration.getTime()) throw new AccessDenied('Invalid according to Policy: Policy expired.');
  let minBytes = 0;
  let maxBytes = Number.POSITIVE_INFINITY;
  const named = new Set<string>();
  for (const condition of policy.conditions) {
    if (condition.kind === 'content-length-range') {
      minBytes = Math.max(minBytes, condition.min);
      maxBytes = Math.min(maxBytes, condition.max);
      continue;
    }
    if (condition.kind === 'unusable' || !holds(condition, form)) throw conditionFailed(condition.text);
    named.add(condition.field);
  }
  for (const name of form.fields.keys()) {
    if (EXEMPT_FIELDS.has(name) || name.startsWith('x-ignore-') || named.has(name)) continue;
    throw new AccessDenied(`Invalid according to Policy: Extra input fields: ${name}`);
  }
  return { minBytes, maxBytes };
}

function holds(condition: Extract<PostPolicyCondition, { kind: 'eq' | 'starts-with' }>, form: PolicyFormView): boolean {
  const value = condition.field === 'bucket' ? form.bucket : condition.field === 'key' ? form.key : form.fields.get(condition.field);
  if (value === undefined) return false;
  if (condition.kind === 'eq') return value === condition.value;
  if (!STARTS_WITH_FIELDS.has(condition.field) && !condition.field.startsWith('x-amz-meta-')) return false;
  // A Content-Type may list several types; each must start with the prefix.
  const values = condition.field === 'content-type' ? value.split(',').map((item) => item.trim()) : [value];
  return values.every((item) => item.startsWith(condition.prefix));
}

function conditionFailed(text: string): AccessDenied {
  return new AccessDenied(`Invalid according to Policy: Policy Condition failed: ${text}`);
}

/** `{"field": "value"}` (one or more pairs), `["eq"|"starts-with", "$field", "value"]`, `["content-length-range", min, max]`. */
function parseCondition(condition: unknown): PostPolicyCondition[] {
  if (Array.isArray(condition)) return [parseArrayCondition(condition)];
  if (typeof condition === 'object' && condition !== null) {
    return Object.entries(condition).map(([field, value]): PostPolicyCondition => {
      const text = quote(['eq', `$${field}`, value]);
      return typeof value === 'string' ? { kind: 'eq', field: field.toLowerCase(), value, text } : { kind: 'unusable', text };
    });
  }
  return [{ kind: 'unusable', text: JSON.stringify(condition) ?? String(condition) }];
}

function parseArrayCondition(condition: unknown[]): PostPolicyCondition {
  const text = quote(condition);
  const [operator, first, second] = condition;
  if (condition.length !== 3 || typeof operator !== 'string') return { kind: 'unusable', text };
  const name = operator.toLowerCase();
  if (name === 'content-length-range') {
    const min = asByteCount(first);
    const max = asByteCount(second);
    if (min === undefined || max === undefined || min > max) throw new InvalidPolicyDocument(`Invalid Policy: Invalid content-length-range: ${text}`);
    return { kind: 'content-length-range', min, max, text };
  }
  if ((name !== 'eq' && name !== 'starts-with') || typeof first !== 'string' || !first.startsWith('$') || typeof second !== 'string') return { kind: 'unusable', text };
  const field = first.slice(1).toLowerCase();
  return name === 'eq' ? { kind: 'eq', field, value: second, text } : { kind: 'starts-with', field, prefix: second, text };
}

/** A whole number of bytes, as a JSON number or a string of digits. */
function asByteCount(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** How S3 quotes a condition in its messages: `["eq", "$key", "value"]`. */
function quote(parts: unknown[]): string {
  return `[${parts.map((part) => JSON.stringify(part) ?? 'null').join(', ')}]`;
}
