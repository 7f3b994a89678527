import type { AccessRule } from '../../infra/access-rules/access-rule.ts';
import { accessRuleNames, describePrefix } from '../../infra/access-rules/validate-access-rules.ts';
import { InvalidRequestError, LinkDeniedError } from '../http/token-service-errors.ts';
import type { LinkCaller } from './read-access-policy.ts';

const MAX_KEY_BYTES = 1024;
/** A Cognito identity id (`<region>:<uuid>`), as the library checks the first segment of a protected key. */
const IDENTITY_ID = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PLACEHOLDER = /\{identityId\}|\{tag:([^}]+)\}/g;

/** One access rule as links see it. */
interface DeliveryLocation {
  name: string;
  prefix: string;
  /** `{identityId}` in the prefix with a grant to every identity (authenticated, guests): keys begin with an identity id. */
  isProtected: boolean;
  usesIdentityId: boolean;
}

/** Where a caller's cookies for one location reach. */
export interface CookieScope {
  location: string;
  /** A key the caller's credentials must be able to read for the location to count as readable. */
  probeKey: string;
  /** The key pattern the cookies' policy covers, after `<cdnUrl>/`: literal pieces with a `*` wildcard between them and at the end. */
  keyPatternPieces: string[];
  /** The literal key prefix the cookies are sent for (`Path=/<prefix>`). */
  pathPrefix: string;
}

/** An identity id that is nobody's, to ask whether a protected location is readable in every identity's folder. */
const SOMEONE_ELSE = 'us-east-1:00000000-0000-4000-8000-000000000000';

/**
 * Turns a location name and a key relative to it into the full S3 key, resolved for the caller as
 * the library resolves it (docs/locations.md), and checks the key as the library does. The rules
 * decide access afterwards (ReadAccessPolicy); this only builds keys that stay in the location.
 */
export class DeliveryLocations {
  private readonly locations: Map<string, DeliveryLocation>;

  constructor(rules: readonly AccessRule[]) {
    const names = accessRuleNames(rules);
    this.locations = new Map(
      rules.map((rule, index) => {
        const shape = describePrefix(rule.prefix);
        const grantsEveryone = rule.grants.authenticated !== undefined || rule.grants.guests !== undefined;
        return [names[index]!, { name: names[index]!, prefix: rule.prefix, isProtected: shape.usesIdentityId && grantsEveryone, usesIdentityId: shape.usesIdentityId }];
      }),
    );
  }

  /** The full key of `relativeKey` in the location `name`, for `caller`. */
  fullKey(name: string, relativeKey: string, caller: LinkCaller): string {
    const location = this.locations.get(name);
    if (!location) throw new InvalidRequestError(`There is no location "${printable(name)}"; the locations are ${[...this.locations.keys()].map((known) => `"${known}"`).join(', ')}.`);
    checkRelativeKey(relativeKey);
    let identityId = caller.identityId;
    let rest = relativeKey;
    if (location.isProtected) {
      const slash = relativeKey.indexOf('/');
      const folder = slash > 0 ? relativeKey.slice(0, slash) : '';
      if (!IDENTITY_ID.test(folder)) {
        throw new InvalidRequestError(`A key in the protected location "${name}" must begin with an identity id and "/" (e.g. "${caller.identityId}/photo.jpg").`);
      }
      identityId = folder;
      rest = relativeKey.slice(slash + 1);
      if (rest === '') throw new InvalidRequestError('The key names an identity folder, not a file.');
    }
    const fullKey = resolvePrefix(location, identityId, caller) + rest;
    if (Buffer.byteLength(fullKey) > MAX_KEY_BYTES) throw new InvalidRequestError(`The key is too long (S3 allows ${MAX_KEY_BYTES} bytes including the location's prefix).`);
    return fullKey;
  }

  /**
   * Where cookies could reach in each location whose tags the caller has, in rule order; a
   * protected location has two candidates, every identity's folder first and then the own folder,
   * and the caller gets the first one its credentials could read.
   */
  cookieScopes(caller: LinkCaller): CookieScope[] {
    const scopes: CookieScope[] = [];
    for (const location of this.locations.values()) {
      if (!hasTags(location, caller)) continue;
      if (location.isProtected) {
        // Every identity's folder, as far as the grant to every identity reaches; the own folder is covered by it.
        const [before, after] = resolvePrefix(location, '\u0000', caller).split('\u0000') as [string, string];
        scopes.push({ location: location.name, probeKey: `${resolvePrefix(location, SOMEONE_ELSE, caller)}x`, keyPatternPieces: [before, after], pathPrefix: before });
      }
      const resolved = resolvePrefix(location, caller.identityId, caller);
      scopes.push({ location: location.name, probeKey: `${resolved}x`, keyPatternPieces: [resolved], pathPrefix: resolved });
    }
    return scopes;
  }
}

function hasTags(location: DeliveryLocation, caller: LinkCaller): boolean {
  return [...location.prefix.matchAll(PLACEHOLDER)].every(([, tagKey]) => tagKey === undefined || caller.principalTags[tagKey] !== undefined);
}

function resolvePrefix(location: DeliveryLocation, identityId: string, caller: LinkCaller): string {
  return location.prefix.replace(PLACEHOLDER, (_placeholder, tagKey: string | undefined) => {
    if (tagKey === undefined) return identityId;
    const value = caller.principalTags[tagKey];
    if (value === undefined) throw new LinkDeniedError(`The location "${location.name}" is reached through the session's "${tagKey}" tag, which this session does not have.`);
    return value;
  });
}

/** The library's key rules (app/library/object-keys.ts), answered as 400s. */
function checkRelativeKey(key: string): void {
  if (key.length === 0) throw new InvalidRequestError('"key" must not be empty.');
  if (key.startsWith('/')) throw new InvalidRequestError('"key" must not start with "/": keys are relative to the location.');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidRequestError('"key" must not contain control characters.');
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) throw new InvalidRequestError('"key" must not contain "." or ".." segments.');
  // The signer decodes and re-encodes each path segment, so a `*` reaches the policy as itself,
  // where CloudFront reads it as a wildcard: the link would open every key it matches.
  if (key.includes('*')) throw new InvalidRequestError('"key" must not contain "*" in a CDN link: CloudFront reads it as a wildcard, so the link would open every key it matches. Use a share link for such a file.');
}

function printable(text: string): string {
  const shown = text.replace(/[^\x20-\x7e]/g, '?');
  return shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
}
