import { closestName } from './closest-name.ts';
import { globHasWildcards, matchGlob, parseGlob } from './wildcard-pattern.ts';
// Imported rather than read from disk so bundles (the token service's Lambda) carry them.
import cognitoIdentityActions from './known-actions/cognito-identity.json' with { type: 'json' };
import s3Actions from './known-actions/s3.json' with { type: 'json' };
import stsActions from './known-actions/sts.json' with { type: 'json' };

/** One file of `known-actions/`: the actions AWS's Service Authorization Reference lists for a service. */
interface KnownActionsFile {
  service: string;
  name: string;
  source: string;
  actions: string[];
}

/** The services whose action names are checked; an action of any other service is accepted unchecked. */
const SERVICE_FILES: readonly KnownActionsFile[] = [s3Actions, cognitoIdentityActions, stsActions];

/** Lower-case service prefix -> lower-case action name -> the action as AWS spells it. */
const KNOWN_ACTIONS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  SERVICE_FILES.map((data) => [data.service.toLowerCase(), new Map(data.actions.map((action) => [action.toLowerCase(), action]))]),
);

/** A typo gets a suggestion when it is at most this many edits away (GetObjct -> GetObject is 1). */
const MAX_SUGGESTION_DISTANCE = 3;

/** An action of a checked service that names no real action: AWS would never match it. */
export interface UnknownAction {
  action: string;
  service: string;
  /** `service:Action` as AWS spells it, for a likely typo. */
  suggestion: string | undefined;
  pattern: boolean;
}

/** A misspelt action in a command or an expectations file. */
export class UnknownActionError extends Error {
  override readonly name = 'UnknownActionError';
  constructor(readonly unknown: UnknownAction) {
    super(describeUnknownAction(unknown));
  }
}

export function checkedServices(): string[] {
  return [...KNOWN_ACTIONS.keys()];
}

/**
 * Checks `service:action` (wildcards allowed) against the known actions. Returns undefined when it
 * is fine, or when it cannot be checked: `*`, no colon (a syntax fault reported elsewhere), or a
 * service outside the list.
 */
export function findUnknownAction(action: string): UnknownAction | undefined {
  const colon = action.indexOf(':');
  if (colon < 0) return undefined;
  const service = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1).toLowerCase();
  const known = KNOWN_ACTIONS.get(service);
  if (!known) return undefined;
  const glob = parseGlob(name);
  if (!globHasWildcards(glob)) {
    if (known.has(name)) return undefined;
    const closest = closestName(name, known.values(), MAX_SUGGESTION_DISTANCE + 1);
    return { action, service, suggestion: closest === undefined ? undefined : `${service}:${closest}`, pattern: false };
  }
  for (const candidate of known.keys()) if (matchGlob(glob, candidate)) return undefined;
  return { action, service, suggestion: undefined, pattern: true };
}

/** How AWS spells a known action (`s3:getobject` -> `s3:GetObject`); other actions unchanged. */
export function canonicalAction(action: string): string {
  const colon = action.indexOf(':');
  const spelled = colon < 0 ? undefined : KNOWN_ACTIONS.get(action.slice(0, colon).toLowerCase())?.get(action.slice(colon + 1).toLowerCase());
  return spelled === undefined ? action : `${action.slice(0, colon).toLowerCase()}:${spelled}`;
}

export function describeUnknownAction(unknown: UnknownAction): string {
  if (unknown.pattern) return `action pattern "${unknown.action}" matches no ${unknown.service} action`;
  return `unknown action "${unknown.action}"${unknown.suggestion ? ` (did you mean ${unknown.suggestion}?)` : ''}`;
}
