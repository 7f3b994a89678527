import type { RequestContext } from './request-context.ts';

/** A piece of policy text: literal, or a `${key}` / `${key, 'default'}` variable. */
export type TemplatePart = { literal: string } | { variable: string; defaultValue?: string };

const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

/**
 * Splits policy text into literals and variables (only policies of Version 2012-10-17 have
 * variables). `${*}`, `${?}` and `${$}` are escapes for characters that would otherwise be
 * wildcards or start a variable; they come back as literals flagged so wildcard matching
 * keeps them literal. Returns undefined when the text has no `${`.
 */
export function parseTemplate(text: string, fail: (fault: string) => never): Array<TemplatePart & { escaped?: boolean }> | undefined {
  if (!text.includes('${')) return undefined;
  const parts: Array<TemplatePart & { escaped?: boolean }> = [];
  let position = 0;
  while (position < text.length) {
    const start = text.indexOf('${', position);
    if (start < 0) {
      parts.push({ literal: text.slice(position) });
      break;
    }
    if (start > position) parts.push({ literal: text.slice(position, start) });
    const end = text.indexOf('}', start);
    if (end < 0) fail(`unterminated policy variable in "${text}"`);
    const body = text.slice(start + 2, end).trim();
    if (body in ESCAPES) {
      parts.push({ literal: ESCAPES[body]!, escaped: true });
    } else {
      const match = /^([A-Za-z0-9._:/-]+)\s*(?:,\s*'([^']*)')?$/.exec(body);
      if (!match) fail(`malformed policy variable "\${${body}}" in "${text}"`);
      if (!match[1]!.includes(':')) fail(`policy variable "\${${body}}" must name a context key such as aws:userid`);
      parts.push(match[2] === undefined ? { variable: match[1]!.toLowerCase() } : { variable: match[1]!.toLowerCase(), defaultValue: match[2] });
    }
    position = end + 1;
  }
  return parts;
}

/**
 * The value of a variable in this request, or undefined when it cannot be resolved: missing
 * (with no default) or multi-valued. A statement whose resource needs it then does not apply.
 */
export function resolveVariable(part: { variable: string; defaultValue?: string }, context: RequestContext, record?: Record<string, string>): string | undefined {
  const value = context.get(part.variable);
  const resolved = typeof value === 'string' ? value : value === undefined ? part.defaultValue : undefined;
  if (record && resolved !== undefined) record[part.variable] = resolved;
  return resolved;
}
