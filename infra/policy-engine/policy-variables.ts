import { PolicyFault } from './policy-engine-errors.ts';
import { ANY_CHARACTER, withoutEmptyMiddleSegments, type Glob, type GlobPiece } from './wildcard-pattern.ts';

/** `${key}` or `${key, 'default'}` as written in a policy. */
export interface PolicyVariable {
  /** The key as written, for explanations. */
  name: string;
  /** Lower-cased: context keys are case-insensitive. */
  key: string;
  defaultValue: string | undefined;
}

/** Where variables get their values during one evaluation. */
export interface VariableSource {
  /** The variable's value, its default, or undefined when it cannot be resolved. */
  resolveVariable(variable: PolicyVariable): string | undefined;
}

/** Text with variables; a plain string when it has none, so the common case costs nothing. */
export type TextTemplate = string | { readonly pieces: ReadonlyArray<string | PolicyVariable> };

/** A wildcard pattern with variables; a plain `Glob` when it has none. */
export type GlobTemplate = { readonly glob: Glob } | { readonly segments: ReadonlyArray<ReadonlyArray<GlobPiece | PolicyVariable>> };

const ANY_SEQUENCE = Symbol('*');
type TemplateToken = string | typeof ANY_CHARACTER | typeof ANY_SEQUENCE | PolicyVariable;

interface TemplateSyntax {
  /** `*` and `?` are wildcards (else literal characters). */
  wildcards: boolean;
  /** `${...}` is a variable (policy Version 2012-10-17); else it is refused, since AWS would read it literally and never match. */
  variables: boolean;
}

/** Escapes AWS defines for characters that would otherwise be special. */
const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

export function parseTextTemplate(text: string, syntax: Omit<TemplateSyntax, 'wildcards'>): TextTemplate {
  const tokens = tokenize(text, { ...syntax, wildcards: false });
  if (tokens.every((token) => typeof token === 'string')) return tokens.join('');
  return { pieces: tokens as Array<string | PolicyVariable> };
}

export function parseGlobTemplate(text: string, syntax: Omit<TemplateSyntax, 'wildcards'>): GlobTemplate {
  const segments: Array<Array<GlobPiece | PolicyVariable>> = [[]];
  for (const token of tokenize(text, { ...syntax, wildcards: true })) {
    if (token === ANY_SEQUENCE) segments.push([]);
    else segments[segments.length - 1]!.push(token);
  }
  const compact = withoutEmptyMiddleSegments(segments);
  if (compact.every((segment) => segment.every((piece) => !isVariable(piece)))) return { glob: compact as Glob };
  return { segments: compact };
}

export function resolveText(template: TextTemplate, source: VariableSource): string | undefined {
  if (typeof template === 'string') return template;
  let text = '';
  for (const piece of template.pieces) {
    if (typeof piece === 'string') text += piece;
    else {
      const value = source.resolveVariable(piece);
      if (value === undefined) return undefined;
      text += value;
    }
  }
  return text;
}

/** Variable values become literal text: a `*` inside a value is never a wildcard. */
export function resolveGlob(template: GlobTemplate, source: VariableSource): Glob | undefined {
  if ('glob' in template) return template.glob;
  const segments: GlobPiece[][] = [];
  for (const segment of template.segments) {
    const resolved: GlobPiece[] = [];
    for (const piece of segment) {
      if (!isVariable(piece)) resolved.push(piece);
      else {
        const value = source.resolveVariable(piece);
        if (value === undefined) return undefined;
        if (value !== '') resolved.push(value);
      }
    }
    segments.push(resolved);
  }
  return segments;
}

function isVariable(piece: unknown): piece is PolicyVariable {
  return typeof piece === 'object' && piece !== null;
}

function tokenize(text: string, syntax: TemplateSyntax): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let literal = '';
  const push = (token: TemplateToken) => {
    if (literal !== '') tokens.push(literal);
    literal = '';
    tokens.push(token);
  };
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character === '$' && text[index + 1] === '{') {
      if (!syntax.variables) throw new PolicyFault(`"${text}" uses a policy variable, which needs "Version": "2012-10-17" (AWS would compare it literally)`);
      const { variable, end } = parseVariable(text, index);
      index = end;
      if (typeof variable === 'string') literal += variable;
      else push(variable);
    } else if (syntax.wildcards && character === '*') push(ANY_SEQUENCE);
    else if (syntax.wildcards && character === '?') push(ANY_CHARACTER);
    else literal += character;
  }
  if (literal !== '') tokens.push(literal);
  return mergeLiterals(tokens);
}

function mergeLiterals(tokens: TemplateToken[]): TemplateToken[] {
  const merged: TemplateToken[] = [];
  for (const token of tokens) {
    const last = merged[merged.length - 1];
    if (typeof token === 'string' && typeof last === 'string') merged[merged.length - 1] = last + token;
    else merged.push(token);
  }
  return merged;
}

/** Parses `${...}` starting at `start`; an escape yields its literal character. */
function parseVariable(text: string, start: number): { variable: PolicyVariable | string; end: number } {
  let index = start + 2;
  const keyStart = index;
  while (index < text.length && text[index] !== '}' && text[index] !== ',') index++;
  if (index >= text.length) throw new PolicyFault(`unterminated policy variable in "${text}"`);
  const name = text.slice(keyStart, index).trim();
  if (name === '') throw new PolicyFault(`empty policy variable in "${text}"`);
  if (/\s/.test(name)) throw new PolicyFault(`policy variable "${name}" in "${text}" contains white space`);
  let defaultValue: string | undefined;
  if (text[index] === ',') {
    ({ defaultValue, index } = parseDefaultValue(text, index + 1));
  }
  if (text[index] !== '}') throw new PolicyFault(`malformed policy variable in "${text}"`);
  const escaped = ESCAPES[name];
  if (escaped !== undefined) {
    if (defaultValue !== undefined) throw new PolicyFault(`the escape \${${name}} takes no default value in "${text}"`);
    return { variable: escaped, end: index };
  }
  return { variable: { name, key: name.toLowerCase(), defaultValue }, end: index };
}

/** `, 'value'` with `''` standing for a quote; white space around it is ignored. */
function parseDefaultValue(text: string, index: number): { defaultValue: string; index: number } {
  while (text[index] === ' ') index++;
  if (text[index] !== "'") throw new PolicyFault(`a policy variable default must be quoted with ' in "${text}"`);
  let value = '';
  for (index++; index < text.length; index++) {
    if (text[index] === "'") {
      if (text[index + 1] === "'") {
        value += "'";
        index++;
      } else break;
    } else value += text[index];
  }
  if (index >= text.length) throw new PolicyFault(`unterminated default value in "${text}"`);
  index++;
  while (text[index] === ' ') index++;
  return { defaultValue: value, index };
}
