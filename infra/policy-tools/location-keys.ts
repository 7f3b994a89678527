import type { PublishedLocation } from '../access-rules/index.ts';

/** `name:rest`, the CLI's location syntax (`protected:{other}/photo.jpg`); a name never holds `/`. */
const LOCATION_KEY = /^([a-z][a-z0-9-]{0,31}):(.*)$/;

/** A key an admin wrote in a location's terms that the stack has no location for. */
export class UnknownLocationError extends Error {
  override readonly name = 'UnknownLocationError';
}

/** True when a location's rule lets others read identities' folders (the protected kind). */
export function isProtectedLocation(location: PublishedLocation): boolean {
  return location.prefix.includes('{identityId}') && (location.grants.authenticated !== undefined || location.grants.guests !== undefined);
}

/** The location's label in the matrix: `protected (protected/{identityId}/)`. */
export function locationLabel(location: PublishedLocation): string {
  return `${location.name} (${location.prefix})`;
}

/**
 * The key template a `location:key` names, in the persona placeholders of keyFor. A protected
 * location's keys start with an identity (`protected:{other}/a.jpg` -> `protected/{other}/a.jpg`),
 * as clients see it; a private one's are inside the persona's own folder (`private:a.txt` ->
 * `users/{self}/a.txt`); `{tag:<key>}` is the persona's tenant. A key without `name:` is a full key.
 */
export function resolveLocationKey(text: string, locations: readonly PublishedLocation[]): string {
  const match = LOCATION_KEY.exec(text);
  if (!match) return text;
  const [, name, rest] = match as unknown as [string, string, string];
  const location = locations.find((candidate) => candidate.name === name);
  if (!location) throw new UnknownLocationError(`Unknown location "${name}" in "${text}": the stack's locations are ${[...new Set(locations.map((candidate) => candidate.name))].join(', ')}.`);
  const prefix = location.prefix.replace(/\{tag:[^}]+\}/g, '{tenant}');
  if (isProtectedLocation(location)) return prefix.slice(0, prefix.indexOf('{identityId}')) + rest;
  return prefix.replace('{identityId}', '{self}') + rest;
}
