import {
  GetOpenIdTokenForDeveloperIdentityCommand,
  LookupDeveloperIdentityCommand,
  UnlinkDeveloperIdentityCommand,
  type CognitoIdentityClient,
} from '@aws-sdk/client-cognito-identity';
import { decodeJwt } from 'jose';
import type { IssuedToken } from '../tokens/token-cache.ts';
import { translateCognitoError, type CognitoFailureMessages } from './translate-cognito-error.ts';

interface CognitoTokenIssuerOptions {
  client: CognitoIdentityClient;
  identityPoolId: string;
  developerProviderName: string;
  tokenDurationSeconds: number;
  clock?: () => number;
}

/** The developer-identity calls of one identity pool, with Cognito's failures translated to ours. */
export class CognitoTokenIssuer {
  private readonly clock: () => number;

  constructor(private readonly options: CognitoTokenIssuerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** A token for the user's identity (created on first sight); with `linkIdentityId`, the user is linked to that existing identity first. */
  async issueToken(userId: string, principalTags: Record<string, string>, linkIdentityId?: string): Promise<IssuedToken> {
    const requestedAt = this.clock();
    const output = await this.call(
      () =>
        this.options.client.send(
          new GetOpenIdTokenForDeveloperIdentityCommand({
            IdentityPoolId: this.options.identityPoolId,
            IdentityId: linkIdentityId,
            Logins: { [this.options.developerProviderName]: userId },
            TokenDuration: this.options.tokenDurationSeconds,
            PrincipalTags: Object.keys(principalTags).length > 0 ? principalTags : undefined,
          }),
        ),
      { conflict: 'That identity already belongs to someone else.', notFound: 'No such identity in this identity pool.', inaccessibleIdentity: 'That identity can no longer be used: its account was deleted.' },
    );
    if (!output.IdentityId || !output.Token) throw translateCognitoError(new Error('Cognito answered without IdentityId or Token.'));
    return { identityId: output.IdentityId, token: output.Token, expiresAt: tokenExpiry(output.Token, requestedAt + this.options.tokenDurationSeconds * 1000) };
  }

  /** The identity the user's login is linked to, if any. */
  async identityOfUser(userId: string): Promise<string | undefined> {
    try {
      const output = await this.options.client.send(
        new LookupDeveloperIdentityCommand({ IdentityPoolId: this.options.identityPoolId, DeveloperUserIdentifier: userId, MaxResults: 1 }),
      );
      return output.IdentityId;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw translateCognitoError(error);
    }
  }

  /** The developer users linked to an identity (empty for a guest); rejects with not_found for unknown identities. */
  async usersOfIdentity(identityId: string): Promise<string[]> {
    const output = await this.call(
      () => this.options.client.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: this.options.identityPoolId, IdentityId: identityId, MaxResults: 60 })),
      { notFound: 'No such identity in this identity pool.' },
    );
    return output.DeveloperUserIdentifierList ?? [];
  }

  /** Removes the user's login from their identity; their next token gets a new identity. Returns the unlinked identity, or undefined when none was linked. */
  async unlinkUser(userId: string): Promise<string | undefined> {
    const identityId = await this.identityOfUser(userId);
    if (identityId === undefined) return undefined;
    await this.call(
      () =>
        this.options.client.send(
          new UnlinkDeveloperIdentityCommand({
            IdentityPoolId: this.options.identityPoolId,
            IdentityId: identityId,
            DeveloperProviderName: this.options.developerProviderName,
            DeveloperUserIdentifier: userId,
          }),
        ),
      { notFound: 'No identity is linked to this user.' },
    );
    return identityId;
  }

  private async call<Output>(send: () => Promise<Output>, messages: CognitoFailureMessages): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      throw translateCognitoError(error, messages);
    }
  }
}

/** When the token stops being accepted: its own `exp`, or the requested duration when it has none. */
function tokenExpiry(token: string, fallbackMs: number): Date {
  try {
    const { exp } = decodeJwt(token);
    if (typeof exp === 'number') return new Date(exp * 1000);
  } catch {
    // Cognito's tokens are JWTs; the requested duration is the next best answer.
  }
  return new Date(fallbackMs);
}
