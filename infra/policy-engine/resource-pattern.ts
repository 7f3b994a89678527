import { PolicyFault } from './policy-engine-errors.ts';
import { parseGlobTemplate, resolveGlob, type GlobTemplate } from './policy-variables.ts';
import { splitArn, type RequestContext } from './request-context.ts';
import { globHasWildcards, matchGlob, parseGlob, type Glob } from './wildcard-pattern.ts';

/**
 * One `Resource`/`NotResource` entry. ARNs are case-sensitive. Wildcards in the first five
 * components stay inside their component; in the resource part (after the fifth colon) `*`
 * spans `/` and `:` alike, as AWS matches it. Variables are allowed only in the resource part.
 */
export interface ResourcePattern {
  text: string;
  matchesEverything: boolean;
  /** `arn:aws:s3:::` when the first five components have no wildcard: one `startsWith` replaces five matches. */
  literalPrefix: string | undefined;
  /** Otherwise one glob per component. */
  componentGlobs: Glob[] | undefined;
  resourcePart: GlobTemplate;
}

export function compileResource(text: string, variables: boolean): ResourcePattern {
  if (text === '*') return { text, matchesEverything: true, literalPrefix: undefined, componentGlobs: undefined, resourcePart: { glob: [[]] } };
  const components = splitArn(text);
  if (!components || components[0] !== 'arn') throw new PolicyFault(`resource "${text}" must be "*" or an ARN (arn:partition:service:region:account:resource)`);
  const head = components.slice(0, 5);
  if (head.some((component) => component.includes('${'))) throw new PolicyFault(`resource "${text}": policy variables are allowed only in the resource part of an ARN (after the fifth colon)`);
  const headGlobs = head.map(parseGlob);
  const literal = !headGlobs.some(globHasWildcards);
  return {
    text,
    matchesEverything: false,
    literalPrefix: literal ? `${head.join(':')}:` : undefined,
    componentGlobs: literal ? undefined : headGlobs,
    resourcePart: parseGlobTemplate(components[5]!, { variables }),
  };
}

/** True or false, or undefined when a variable in the pattern has no value. */
export function matchResource(pattern: ResourcePattern, context: RequestContext): boolean | undefined {
  if (pattern.matchesEverything) return true;
  const resource = context.resource;
  let resourcePartStart: number;
  if (pattern.literalPrefix !== undefined) {
    // One comparison with the request's own ARN head, computed once per request.
    if (context.resourceArnHead() !== pattern.literalPrefix) return false;
    resourcePartStart = pattern.literalPrefix.length;
  } else {
    const components = context.resourceComponents();
    if (!components) return false;
    for (let index = 0; index < 5; index++) if (!matchGlob(pattern.componentGlobs![index]!, components[index]!)) return false;
    resourcePartStart = resource.length - components[5]!.length;
  }
  const glob = resolveGlob(pattern.resourcePart, context);
  return glob === undefined ? undefined : matchGlob(glob, resource, resourcePartStart);
}
