import { fromCognitoIdentity } from '@aws-sdk/credential-provider-cognito-identity';
import type { AwsCredentialIdentity } from '@smithy/types';
import { StorageError } from './storage-errors.ts';
import type { IdentityToken } from './token-service-client.ts';

export interface IdentityCredentials extends AwsCredentialIdentity {
  identityId: string;
  expiration: Date;
}

export interface IdentityCredentialsOptions {
  /** Fetches a fresh OpenID token from the token service. */
  requestToken: () => Promise<IdentityToken>;
  /** Client settings for Cognito Identity (region, endpoint, request handler). */
  cognitoClientConfig: Parameters<typeof fromCognitoIdentity>[0]['clientConfig'];
  /**
   * Refresh this long before the credentials expire, so a request signed now is still valid when
   * it reaches S3 (and a multipart upload keeps going). Capped at a quarter of their lifetime.
   * @default 300 seconds
   */
  refreshMarginSeconds?: number;
  now?: () => number;
}

/**
 * Temporary AWS credentials of the caller's Cognito identity. The OpenID token is reused until it
 * expires and the credentials until shortly before they expire; concurrent callers share one
 * refresh. Counting the exchanges is what the benchmarks use to prove "one per lifetime".
 */
export class IdentityCredentialsProvider {
  private token: IdentityToken | undefined;
  private credentials: IdentityCredentials | undefined;
  private refreshing: Promise<IdentityCredentials> | undefined;
  private issuedLifetimeMs = 0;
  readonly counts = { tokenRequests: 0, credentialExchanges: 0 };

  constructor(private readonly options: IdentityCredentialsOptions) {}

  /** Use as the S3 client's `credentials`: called before each request is signed. */
  readonly provide = (): Promise<IdentityCredentials> => this.get();

  async get(): Promise<IdentityCredentials> {
    if (this.credentials && !this.isDueForRefresh(this.credentials)) return this.credentials;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The identity id, once known. */
  get identityId(): string | undefined {
    return this.credentials?.identityId ?? this.token?.identityId;
  }

  /** Drop cached token and credentials, e.g. after signing out. */
  forget(): void {
    this.token = undefined;
    this.credentials = undefined;
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
    this.token = await this.options.requestToken();
    return this.token;
  }

  private async exchange(token: IdentityToken): Promise<IdentityCredentials> {
    this.counts.credentialExchanges += 1;
    const provider = fromCognitoIdentity({
      identityId: token.identityId,
      logins: { 'cognito-identity.amazonaws.com': token.token },
      clientConfig: this.options.cognitoClientConfig,
    });
    const issued = await provider();
    if (!issued.expiration) throw new StorageError('ServiceError', 'Cognito returned credentials without an expiration.');
    this.issuedLifetimeMs = issued.expiration.getTime() - this.now();
    this.credentials = { ...issued, identityId: token.identityId, expiration: issued.expiration };
    return this.credentials;
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
