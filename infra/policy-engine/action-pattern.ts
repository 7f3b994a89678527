import { PolicyFault } from './policy-engine-errors.ts';
import { globHasWildcards, matchGlob, parseGlob, type Glob } from './wildcard-pattern.ts';

/** The `Action`/`NotAction` list of a statement; action names are case-insensitive, so all is lower-case. */
export interface ActionMatcher {
  matchesEverything: boolean;
  exact: ReadonlySet<string>;
  patterns: readonly Glob[];
  /** Lower-case service prefixes named, for indexing statements by service. */
  services: ReadonlySet<string>;
}

export function compileActions(actions: string[]): ActionMatcher {
  const exact = new Set<string>();
  const patterns: Glob[] = [];
  const services = new Set<string>();
  let matchesEverything = false;
  for (const action of actions) {
    if (action === '*') {
      matchesEverything = true;
      continue;
    }
    const colon = action.indexOf(':');
    const service = action.slice(0, colon);
    const name = action.slice(colon + 1);
    if (colon < 0 || name === '') throw new PolicyFault(`action "${action}" must be "*" or "service:action"`);
    if (/[*?]/.test(service)) throw new PolicyFault(`action "${action}": wildcards are not allowed in the service prefix`);
    if (!/^[A-Za-z0-9-]+$/.test(service) || !/^[A-Za-z0-9_*?-]+$/.test(name)) throw new PolicyFault(`action "${action}" is not a valid action name`);
    const lower = action.toLowerCase();
    services.add(service.toLowerCase());
    const glob = parseGlob(lower);
    if (globHasWildcards(glob)) patterns.push(glob);
    else exact.add(lower);
  }
  return { matchesEverything, exact, patterns, services };
}

/** `action` must be lower-case. */
export function matchAction(matcher: ActionMatcher, action: string): boolean {
  if (matcher.matchesEverything || matcher.exact.has(action)) return true;
  for (const pattern of matcher.patterns) if (matchGlob(pattern, action)) return true;
  return false;
}
