import { cdnObjectPath } from '../../app/library/cdn-address.ts';
import { StorageError, type CdnCookieSet, type CdnLink } from '../../app/library/index.ts';
import type { Outcome } from './matrix-attempts.ts';
import type { KeyClass } from './matrix-key-classes.ts';
import { locationKeyOf } from './matrix-location-keys.ts';
import type { PersonaRun } from './matrix-persona-run.ts';
import { leaksSecret } from './matrix-sentinels.ts';
import { sendRaw } from './raw-request.ts';

/** The library's refusals of a link: the token service's `link_denied`, or a key it will not name (dot segments, a folder not named by an identity id). */
const LINK_REFUSALS = new Set(['LinkDenied', 'InvalidKey', 'InvalidArgument', 'InvalidLocation']);

/** The token service's per-user rate limit answers 429 with Retry-After: waits it out, so every link request counts once. */
async function waitingOutRateLimit<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof StorageError) || error.code !== 'RateLimited' || attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(error.retryAfterSeconds ?? 1, 10) * 1000));
    }
  }
}

/** A GET through the CDN, sent as given (no normalization of `..`), with cookies when given: the outcome by status, or a leak. */
async function readThroughCdn(run: PersonaRun, url: string, cookie?: string): Promise<Outcome | string> {
  const origin = new URL(url).origin;
  const answer = await sendRaw({ url: origin, method: 'GET', path: url.slice(origin.length), headers: cookie ? { cookie } : {}, ...(run.world.ca ? { ca: run.world.ca } : {}) });
  if (answer === 'cut' || answer === 'no-answer') return 'other';
  if (leaksSecret(run.world, run.persona, answer.body)) return `LEAK: the CDN answered another identity's secret at ${url}`;
  return answer.status === 200 ? 'allowed' : answer.status === 403 ? 'denied' : 'other';
}

/** The cookies a browser would send for `path`: every set whose Path heads it. */
function cookieHeaderFor(cookieSets: readonly CdnCookieSet[], path: string): string {
  return cookieSets
    .filter((set) => path.startsWith(set.path))
    .flatMap((set) => Object.entries(set.cookies).map(([name, value]) => `${name}=${value}`))
    .join('; ');
}

/** A class of keys the persona reads, with the expectation of its GetObject. */
export interface ReadClass {
  name: string;
  expectation: KeyClass['expectation'];
  readKey: string;
}

/**
 * Delivery through the CDN, for the key classes a persona reads: unsigned, the CDN opens exactly
 * the public folders' keys the persona may read (CloudFront's unsigned `public/*` behaviour);
 * a signed-in persona's `client.cdnLink` is signed exactly where its GetObject is allowed and
 * opens (200) through the CDN, and its `client.cdnCookies` open exactly those keys. A guest has
 * no session, so no links or cookies. Only with a `cdnUrl`.
 */
export async function cdnAttempts(run: PersonaRun, readClasses: readonly ReadClass[]): Promise<void> {
  const { world, persona, attempt } = run;
  const cdnUrl = world.cdnUrl;
  if (!cdnUrl) return;
  const addressOf = (key: string) => `${cdnUrl.replace(/\/+$/, '')}/${cdnObjectPath(key)}`;
  for (const readClass of readClasses) {
    const isPublic = world.readableFolders.includes('public') && readClass.readKey.startsWith('public/');
    const expectation = isPublic || readClass.expectation === 'confined' ? readClass.expectation : 'deny';
    await attempt('CDN unsigned GET', { name: readClass.name, expectation }, () => readThroughCdn(run, addressOf(readClass.readKey)), (outcome) => outcome);
  }
  if (persona.name === 'guest') return;
  const locations = await persona.client.locations();
  for (const readClass of readClasses) {
    const named = locationKeyOf(locations, readClass.readKey);
    await attempt('CDN link (library)', readClass, async () => {
      let link: CdnLink;
      try {
        // A key no location reaches is asked for as a key of the own location: at most a link to the persona's own key.
        link = await waitingOutRateLimit(() => (named ? persona.client.cdnLink(named.location, named.key) : persona.client.cdnLink(undefined, readClass.readKey)));
      } catch (error) {
        if (error instanceof StorageError && LINK_REFUSALS.has(error.code)) return 'denied' as const;
        throw error;
      }
      const opened = await readThroughCdn(run, link.url);
      if (opened !== 'allowed' && opened !== 'denied' && opened !== 'other') return opened;
      const linkedPath = new URL(link.url).pathname;
      // A link to another key than the one asked for (the persona's own) opens nothing of the class.
      if (linkedPath !== `/${cdnObjectPath(readClass.readKey)}`) return named ? `signed a link to ${linkedPath} for ${readClass.readKey}` : ('denied' as const);
      // Signed for a forbidden key counts as allowed whatever the CDN then answers; an allowed key's link must open.
      return opened === 'allowed' || readClass.expectation !== 'allow' ? ('allowed' as const) : `signed, but the CDN answered ${opened}`;
    }, (outcome) => outcome);
  }
  const { cookieSets } = await waitingOutRateLimit(() => persona.client.cdnCookies());
  for (const readClass of readClasses) {
    const url = addressOf(readClass.readKey);
    await attempt('CDN cookies (library)', readClass, () => readThroughCdn(run, url, cookieHeaderFor(cookieSets, new URL(url).pathname)), (outcome) => outcome);
  }
}
