/** A value that cannot be part of a cache key: a function, a class instance, a symbol, a bigint. */
export class NotCanonicalJsonError extends Error {
  readonly code = 'not_canonical_json';
  constructor(path: string, what: string) {
    super(`${path} is ${what}, which has no stable JSON form.`);
    this.name = 'NotCanonicalJsonError';
  }
}

/**
 * JSON with every object's keys sorted, so two equal option objects written in a different order
 * give the same text. Only plain data is accepted: anything else (a construct, a function) could
 * change the synthesized stack without changing this text, so it throws instead of guessing.
 * `undefined` properties are left out, as `JSON.stringify` does and as the stack treats them.
 */
export function canonicalJson(value: unknown, path = 'value'): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotCanonicalJsonError(path, String(value));
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item, index) => (item === undefined ? 'null' : canonicalJson(item, `${path}[${index}]`))).join(',')}]`;
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) throw new NotCanonicalJsonError(path, `an instance of ${(value as object).constructor?.name ?? 'a class'}`);
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item, `${path}.${key}`)}`).join(',')}}`;
  }
  throw new NotCanonicalJsonError(path, `a ${typeof value}`);
}
