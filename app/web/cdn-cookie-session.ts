import type { ScopedStorageClient } from '../library/index.ts';

/** Asked again this long before the cookies expire, so an image loading then is still let through. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The CDN's signed cookies for the signed-in identity: one `POST /v1/links/cookies` when the photo
 * grid first needs them, again shortly before they expire while the page stays open. The token
 * service sets them (`HttpOnly`); the page only learns which locations they cover.
 */
export class CdnCookieSession {
  private current: Promise<{ expiresAt: Date; locations: Set<string> }> | undefined;
  private timer: number | undefined;

  constructor(private readonly client: () => ScopedStorageClient) {}

  /** The names of the locations whose files the cookies let through, asking for cookies if there are none or they are due. */
  async locations(): Promise<Set<string>> {
    const held = await this.current?.catch(() => undefined);
    if (!held || held.expiresAt.getTime() - Date.now() < REFRESH_MARGIN_MS) this.current = this.request();
    return (await this.current!).locations;
  }

  forget(): void {
    window.clearTimeout(this.timer);
    this.current = undefined;
  }

  private async request(): Promise<{ expiresAt: Date; locations: Set<string> }> {
    const cookies = await this.client().cdnCookies();
    const expiresAt = new Date(cookies.expiresAt);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.current = this.request();
      this.current.catch(() => undefined);
    }, Math.max(10_000, expiresAt.getTime() - Date.now() - REFRESH_MARGIN_MS));
    return { expiresAt, locations: new Set(cookies.cookieSets.map((set) => set.location)) };
  }
}
