/**
 * The CDN address of an object: `<cdnUrl>/<key>` with each key segment percent-encoded, so the
 * token service's signed URLs and cookie resources and the library's public addresses spell a key
 * the same way (CloudFront matches a policy's `Resource` against the URL as requested). Characters
 * RFC 3986 allows in a path segment stay as they are (identity ids keep their `:`), except `*`,
 * which a policy `Resource` would read as a wildcard, and `'()!`, which some clients re-encode.
 */
export function cdnObjectUrl(cdnUrl: string, key: string): string {
  return `${cdnUrl.replace(/\/+$/, '')}/${cdnObjectPath(key)}`;
}

/** The key as a URL path, without the leading `/`. */
export function cdnObjectPath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%(3A|40|24|2B|2C|3B|3D|26)/g, (escape) => decodeURIComponent(escape)).replace(/[*'()!]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}
