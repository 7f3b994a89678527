import { describePrefix, prefixToPolicyForm, type PublishedLocation } from '../access-rules/index.ts';
import { ScopedStoragePropsError } from './scoped-storage-props-error.ts';

const PLACEHOLDER = /\{[^}]*\}/;

/** The literal part of a prefix before its first placeholder: `public/{identityId}/` -> `public/`. */
export function literalPrefix(prefix: string): string {
  const match = PLACEHOLDER.exec(prefix);
  return match ? prefix.slice(0, match.index) : prefix;
}

/** A location is public when guests may read it: the CDN then serves it without a signature. */
export function isPublicLocation(location: PublishedLocation): boolean {
  return location.grants.guests?.includes('read') ?? false;
}

/**
 * The CloudFront path pattern of each public location (`public/*`). Refused when the pattern would
 * also cover a location that is not public (its prefix starts with the pattern's literal), since
 * the unsigned behaviour would then hand that location's files to anyone.
 */
export function publicPathPatterns(locations: readonly PublishedLocation[]): { location: string; pathPattern: string }[] {
  const patterns = locations.filter(isPublicLocation).map((location) => {
    const literal = literalPrefix(location.prefix);
    if (literal === '') {
      throw new ScopedStoragePropsError(`delivery: the public location "${location.name}" (${location.prefix}) starts with a placeholder, so its unsigned CDN path would be "*", every file of the bucket; give it a literal first segment (e.g. "public/{identityId}/").`);
    }
    return { location: location.name, literal, pathPattern: `${literal}*` };
  });
  for (const pattern of patterns) {
    const exposed = locations.find((location) => !isPublicLocation(location) && literalPrefix(location.prefix).startsWith(pattern.literal));
    if (exposed) {
      throw new ScopedStoragePropsError(`delivery: the unsigned CDN path "${pattern.pathPattern}" of the public location "${pattern.location}" would also serve the location "${exposed.name}" (${exposed.prefix}), which guests may not read; give the public location a prefix no other location starts with.`);
    }
  }
  return patterns.map(({ location, pathPattern }) => ({ location, pathPattern }));
}

/**
 * The object keys CloudFront may read, one per location: the prefix in policy form with every
 * placeholder as `*` (`users/{identityId}/` -> `users/*`/`*`), then `*`.
 */
export function deliveredObjectPatterns(locations: readonly PublishedLocation[]): string[] {
  return locations.map((location) => {
    describePrefix(location.prefix);
    return `${prefixToPolicyForm(location.prefix).replace(/\$\{[^}]+\}/g, '*')}*`;
  });
}
