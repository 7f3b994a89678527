/**
 * The one-page uploader's address: `<page origin>/upload.html#<base64url of the link as JSON>`.
 * The link rides in the fragment, which browsers never send to the page server, so the server's
 * logs never hold it.
 */

/** What the uploader needs: a pre-signed PUT, the headers signed into it, and what to tell the uploader. */
export interface UploadAddressLink {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  key: string;
  /** ISO 8601. */
  expiresAt: string;
  /** What the person asking allowed, shown before the upload and checked before sending. */
  maxBytes: number;
  contentType?: string;
}

export class DamagedUploadAddressError extends Error {
  override readonly name = 'DamagedUploadAddressError';
  readonly code = 'DamagedUploadAddress';
}

function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(encoded: string): string {
  const binary = atob(encoded.replaceAll('-', '+').replaceAll('_', '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (character) => character.charCodeAt(0)));
}

export function uploadAddress(pageOrigin: string, link: UploadAddressLink): string {
  return `${pageOrigin}/upload.html#${toBase64Url(JSON.stringify(link))}`;
}

/** S3 takes at most 5 GiB in one PUT. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** `type/subtype` without parameters, as the link signs it; anything else would only be text put on the page. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** When a pre-signed URL stops working by its own signed `X-Amz-Date` and `X-Amz-Expires`. */
function signedExpiryOf(url: URL): number | undefined {
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(url.searchParams.get('X-Amz-Date') ?? '');
  const lifetime = Number(url.searchParams.get('X-Amz-Expires'));
  if (!date || !Number.isInteger(lifetime) || lifetime <= 0) return undefined;
  const [, year, month, day, hour, minute, second] = date.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second) + lifetime * 1000;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The link in an address's fragment (with or without its `#`). Everything in it is checked, as
 * anyone can hand out an address: an http(s) URL, string headers, a real date and size.
 */
export function readUploadAddress(fragment: string): UploadAddressLink {
  let value: unknown;
  try {
    value = JSON.parse(fromBase64Url(fragment.replace(/^#/, '')));
  } catch (error) {
    throw new DamagedUploadAddressError('The upload address is incomplete or damaged.', { cause: error });
  }
  const damaged = (what: string) => new DamagedUploadAddressError(`The upload address is damaged: ${what}.`);
  if (!isRecord(value)) throw damaged('it holds no link');
  const { url, method, headers, key, expiresAt, maxBytes, contentType } = value;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url) || !URL.canParse(url)) throw damaged('no upload URL');
  if (method !== 'PUT') throw damaged('not an upload by PUT');
  if (!isRecord(headers) || !Object.values(headers).every((header) => typeof header === 'string')) throw damaged('its headers are not text');
  if (typeof key !== 'string' || key === '') throw damaged('no file name');
  if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) throw damaged('no expiry');
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw damaged('no size limit');
  if (maxBytes > MAX_PUT_BYTES) throw damaged('a size limit above what one upload can carry');
  if (contentType !== undefined && (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType))) throw damaged('its file type is not a media type');
  // The address is anyone's to write; the URL's own signed date and lifetime say when S3 stops taking it.
  const signedUntil = signedExpiryOf(new URL(url));
  const until = signedUntil !== undefined && signedUntil < Date.parse(expiresAt) ? new Date(signedUntil).toISOString() : expiresAt;
  return { url, method, headers: headers as Record<string, string>, key, expiresAt: until, maxBytes, ...(contentType === undefined ? {} : { contentType }) };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What the uploader reads from the page's `/config.json`: the deployment it belongs to. */
export interface UploadDeployment {
  bucket: string;
  region: string;
  /** The local cloud's S3 endpoint; absent on AWS. */
  s3Endpoint?: string;
}

/**
 * Whether a link uploads into this page's own bucket. The page is the app's, so an address
 * pointing its visitors' files at any other host would be phishing on the app's own origin.
 */
export function uploadsIntoDeployment(link: UploadAddressLink, deployment: UploadDeployment): boolean {
  const url = new URL(link.url);
  const bucketPath = `/${encodeURIComponent(deployment.bucket)}/`;
  // The local cloud answers HTTPS and plain HTTP on one port, under every loopback name: a link the
  // CLI signed over https://127.0.0.1 is as much this deployment's as the page's http://localhost.
  if (deployment.s3Endpoint !== undefined) {
    const endpoint = new URL(deployment.s3Endpoint);
    const sameHost = url.host === endpoint.host || (LOOPBACK_NAMES.has(url.hostname) && LOOPBACK_NAMES.has(endpoint.hostname) && url.port === endpoint.port);
    return /^https?:$/.test(url.protocol) && sameHost && url.pathname.startsWith(bucketPath);
  }
  if (url.protocol !== 'https:') return false;
  const virtualHosts = [`${deployment.bucket}.s3.${deployment.region}.amazonaws.com`, `${deployment.bucket}.s3.amazonaws.com`];
  const pathStyleHosts = [`s3.${deployment.region}.amazonaws.com`, 's3.amazonaws.com'];
  return virtualHosts.includes(url.host) || (pathStyleHosts.includes(url.host) && url.pathname.startsWith(bucketPath));
}
