import { CognitoIdentityClient, GetIdCommand, GetOpenIdTokenCommand } from '@aws-sdk/client-cognito-identity';
import { fromCognitoIdentity } from '@aws-sdk/credential-provider-cognito-identity';
import type { AwsCredentialIdentity } from '@smithy/types';
import { StorageError } from './storage-errors.ts';
import type { GuestLink, IdentityToken } from './token-service-client.ts';

export interface IdentityCredentials extends AwsCredentialIdentity {
  identityId: string;
  expiration: Date;
}

/**
 * Credentials (and, signed in, the OpenID token they came from) kept by an earlier run, so a
 * short-lived program such as the CLI does not exchange new ones on every start.
 */
export interface IdentityCredentialsSnapshot {
  credentials: IdentityCredentials;
  /** When they were issued: with `expiration` it gives their lifetime, which bounds the refresh margin. */
  issuedAt: Date;
  /** Signed in only: the OpenID token (identity id and principal tags) they were exchanged for. */
  token?: IdentityToken;
}

/** Fetches a fresh OpenID token from the token service; with `guestLink`, asks it to take over that guest identity. */
export type IdentityTokenRequest = (guestLink?: GuestLink) => Promise<IdentityToken>;

export interface IdentityCredentialsOptions {
  /** Signed in: fetches a fresh OpenID token from the token service. Without it the provider is a guest. */
  requestToken?: IdentityTokenRequest;
  /** Guests: the identity pool that makes guest identities (GetId). */
  identityPoolId?: string;
  /** Guests: continue this guest identity (saved from an earlier session) instead of making a new one. */
  guestIdentityId?: string;
  /** Client settings for Cognito Identity (region, endpoint, request handler). */
  cognitoClientConfig: Parameters<typeof fromCognitoIdentity>[0]['clientConfig'];
  /**
   * Refresh this long before the credentials expire, so a request signed now is still valid when
   * it reaches S3 (and a multipart upload keeps going). Capped at a quarter of their lifetime.
   * @default 300 seconds
   */
  refreshMarginSeconds?: number;
  /**
   * Credentials saved from an earlier run (see `onCredentials`), used until the refresh margin
   * instead of exchanging new ones. Ignored unless they fit the provider: a guest's for the guest
   * identity given (or any guest identity when none is), a signed-in identity's with their token.
   * @default none: the first request exchanges credentials
   */
  initialCredentials?: IdentityCredentialsSnapshot;
  /** Called with every new set of credentials (and the token behind them), e.g. to save them for the next run. @default none */
  onCredentials?: (snapshot: IdentityCredentialsSnapshot) => void;
  now?: () => number;
}

export interface SignInResult {
  identityId: string;
  /** True when the guest identity (and its files) became the signed-in user's. */
  guestLinked: boolean;
  /** The guest identity left behind when the user had an identity already (its files stay there). */
  abandonedGuestIdentityId?: string;
}

/**
 * Temporary AWS credentials of the caller's Cognito identity. The OpenID token is reused until it
 * expires and the credentials until shortly before they expire; concurrent callers share one
 * refresh. Counting the exchanges is what the benchmarks use to prove "one per lifetime".
 * Without `requestToken` it is a guest: Cognito's basic unauthenticated flow (GetId, then
 * GetCredentialsForIdentity without logins), until {@link signIn}.
 */
export class IdentityCredentialsProvider {
  private token: IdentityToken | undefined;
  private credentials: IdentityCredentials | undefined;
  private refreshing: Promise<IdentityCredentials> | undefined;
  private issuedLifetimeMs = 0;
  private requestToken: IdentityTokenRequest | undefined;
  private guestIdentityId: string | undefined;
  private cognito: CognitoIdentityClient | undefined;
  readonly counts = { tokenRequests: 0, credentialExchanges: 0 };

  constructor(private readonly options: IdentityCredentialsOptions) {
    this.requestToken = options.requestToken;
    this.guestIdentityId = options.requestToken ? undefined : options.guestIdentityId;
    if (!options.requestToken && !options.identityPoolId) throw new StorageError('InvalidConfiguration', 'A guest needs the identity pool id (or pass requestToken to sign in).');
    if (options.initialCredentials) this.startFrom(options.initialCredentials);
  }

  get isGuest(): boolean {
    return this.requestToken === undefined;
  }

  /** The principal tags of the current session (`{}` for a guest, or before the first token). */
  get principalTags(): Record<string, string> {
    return this.isGuest ? {} : { ...this.token?.principalTags };
  }

  /**
   * Use as the S3 client's `credentials`. The SDK keeps credentials until 5 minutes before their
   * `expiration`; these are handed over as already due, so it asks again before every request and
   * a sign-in or sign-out takes effect at once (this provider does the caching and refreshing).
   */
  readonly provide = async (): Promise<IdentityCredentials> => ({ ...(await this.get()), expiration: new Date(0) });

  async get(): Promise<IdentityCredentials> {
    if (this.credentials && !this.isDueForRefresh(this.credentials)) return this.credentials;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The identity id, once known. */
  get identityId(): string | undefined {
    return this.credentials?.identityId ?? (this.isGuest ? this.guestIdentityId : this.token?.identityId);
  }

  /** Drop cached token and credentials, e.g. after signing out. */
  forget(): void {
    this.token = undefined;
    this.credentials = undefined;
  }

  /**
   * Becomes signed in. A guest with an identity proves possession of it with a guest OpenID token
   * (GetOpenIdToken without logins) and the token service links it to the user, so the identity
   * id, and the guest's files, carry over. A user who has an identity already keeps theirs: the
   * guest identity is left as it was and named in the result.
   */
  async signIn(requestToken: IdentityTokenRequest): Promise<SignInResult> {
    await this.refreshing?.catch(() => undefined);
    const guestIdentityId = this.isGuest ? this.guestIdentityId : undefined;
    let token: IdentityToken;
    let abandonedGuestIdentityId: string | undefined;
    this.counts.tokenRequests += 1;
    if (guestIdentityId === undefined) {
      token = await requestToken();
    } else {
      const guestLink = { guestIdentityId, guestToken: await this.guestOpenIdToken(guestIdentityId) };
      token = await requestToken(guestLink).catch(async (error: unknown) => {
        if (!(error instanceof StorageError) || error.code !== 'Conflict') throw error;
        abandonedGuestIdentityId = guestIdentityId;
        this.counts.tokenRequests += 1;
        return requestToken();
      });
    }
    this.requestToken = requestToken;
    this.guestIdentityId = undefined;
    this.credentials = undefined;
    this.token = token;
    const credentials = await this.get();
    return { identityId: credentials.identityId, guestLinked: guestIdentityId !== undefined && credentials.identityId === guestIdentityId, ...(abandonedGuestIdentityId && { abandonedGuestIdentityId }) };
  }

  /** Forgets the session and its credentials; without a new `signIn` the provider is a new guest. */
  signOut(): void {
    this.requestToken = undefined;
    this.guestIdentityId = undefined;
    this.forget();
  }

  /**
   * Not the SDK's refresh window (the S3 client's memoization refreshes within a fixed 5 minutes of
   * expiry, so credentials that live less than that would be exchanged again on every request).
   */
  private isDueForRefresh(credentials: IdentityCredentials): boolean {
    const marginMs = Math.min((this.options.refreshMarginSeconds ?? 300) * 1000, this.issuedLifetimeMs / 4);
    return credentials.expiration.getTime() - this.now() <= marginMs;
  }

  private async refresh(): Promise<IdentityCredentials> {
    if (this.isGuest) return this.refreshGuest().catch((error: unknown) => {
      throw wrapGuest(error);
    });
    const token = await this.currentToken();
    try {
      return await this.exchange(token);
    } catch (error) {
      // Cognito refuses a token that expired or was revoked in the meantime: get a new one, once.
      if ((error as { name?: string }).name !== 'NotAuthorizedException') throw wrap(error);
      this.token = undefined;
      return this.exchange(await this.currentToken()).catch((retryError: unknown) => {
        throw wrap(retryError);
      });
    }
  }

  private async currentToken(): Promise<IdentityToken> {
    if (this.token && this.token.expiresAt.getTime() - this.now() > 5_000) return this.token;
    this.counts.tokenRequests += 1;
    this.token = await this.requestToken!();
    return this.token;
  }

  private async refreshGuest(): Promise<IdentityCredentials> {
    this.guestIdentityId ??= (await this.cognitoClient().send(new GetIdCommand({ IdentityPoolId: this.options.identityPoolId }))).IdentityId;
    if (!this.guestIdentityId) throw new StorageError('ServiceError', 'Cognito answered GetId without an identity id.');
    this.counts.credentialExchanges += 1;
    const provider = fromCognitoIdentity({ identityId: this.guestIdentityId, clientConfig: this.options.cognitoClientConfig });
    return this.keep(await provider(), this.guestIdentityId);
  }

  private async guestOpenIdToken(identityId: string): Promise<string> {
    const answer = await this.cognitoClient()
      .send(new GetOpenIdTokenCommand({ IdentityId: identityId }))
      .catch((error: unknown) => {
        throw wrapGuest(error);
      });
    if (!answer.Token) throw new StorageError('ServiceError', 'Cognito answered GetOpenIdToken without a token.');
    return answer.Token;
  }

  private cognitoClient(): CognitoIdentityClient {
    this.cognito ??= new CognitoIdentityClient({ ...this.options.cognitoClientConfig });
    return this.cognito;
  }

  private async exchange(token: IdentityToken): Promise<IdentityCredentials> {
    this.counts.credentialExchanges += 1;
    const provider = fromCognitoIdentity({
      identityId: token.identityId,
      logins: { 'cognito-identity.amazonaws.com': token.token },
      clientConfig: this.options.cognitoClientConfig,
    });
    return this.keep(await provider(), token.identityId);
  }

  private keep(issued: AwsCredentialIdentity, identityId: string): IdentityCredentials {
    if (!issued.expiration) throw new StorageError('ServiceError', 'Cognito returned credentials without an expiration.');
    this.issuedLifetimeMs = issued.expiration.getTime() - this.now();
    this.credentials = { ...issued, identityId, expiration: issued.expiration };
    this.options.onCredentials?.({ credentials: this.credentials, issuedAt: new Date(this.now()), ...(this.isGuest ? {} : { token: this.token }) });
    return this.credentials;
  }

  /** Takes saved credentials when they belong to this provider's identity; anything else is left for a fresh exchange. */
  private startFrom(snapshot: IdentityCredentialsSnapshot): void {
    const { credentials, token } = snapshot;
    const fits = this.isGuest
      ? token === undefined && (this.guestIdentityId === undefined || this.guestIdentityId === credentials.identityId)
      : token !== undefined && token.identityId === credentials.identityId;
    if (!fits) return;
    this.credentials = credentials;
    this.issuedLifetimeMs = credentials.expiration.getTime() - snapshot.issuedAt.getTime();
    if (this.isGuest) this.guestIdentityId = credentials.identityId;
    else this.token = token;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

function wrap(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const name = (error as { name?: string }).name;
  if (name === 'NotAuthorizedException') return new StorageError('Expired', 'Cognito refused the sign-in token; sign in again.', { cause: error });
  if (name === 'TooManyRequestsException') return new StorageError('RateLimited', 'Cognito is throttling credential requests; try again shortly.', { cause: error });
  return new StorageError('Network', 'Could not get temporary credentials from Cognito.', { cause: error });
}

/** A guest refused by Cognito: guests are off for the pool, or the saved guest identity was signed in meanwhile. */
function wrapGuest(error: unknown): StorageError {
  if ((error as { name?: string }).name === 'NotAuthorizedException') {
    return new StorageError('SignInRequired', `Cognito refused guest access (${(error as Error).message}); guests may be off for this deployment, or this guest identity belongs to a signed-in user now: sign in.`, { cause: error });
  }
  return wrap(error);
}
