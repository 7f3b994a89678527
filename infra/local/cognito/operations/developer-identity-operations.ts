import type { IdentityPool } from '../model/identity-pool.ts';
import { InvalidParameterException, NotAuthorizedException, ResourceConflictException, ResourceNotFoundException } from '../cognito-errors.ts';
import type {
  GetOpenIdTokenForDeveloperIdentityInput,
  LookupDeveloperIdentityInput,
  MergeDeveloperIdentitiesInput,
  UnlinkDeveloperIdentityInput,
} from '../protocol/operation-inputs.ts';
import { requireAccessibleIdentity } from './identity-access.ts';
import { issueOpenIdToken } from './issue-openid-token.ts';
import type { CallerCheck, CognitoServiceDependencies } from './service-dependencies.ts';

const MAX_DEVELOPER_USER_IDENTIFIER_LENGTH = 1024;
const DEFAULT_LOOKUP_PAGE_SIZE = 60;

/**
 * The app backend vouches for one of its users: the user's identity (created on first sight, or
 * the given `IdentityId` the user gets linked to) and a token for it.
 */
export async function getOpenIdTokenForDeveloperIdentity(
  dependencies: CognitoServiceDependencies,
  input: GetOpenIdTokenForDeveloperIdentityInput,
  caller: CallerCheck,
) {
  await caller.authorize(input.IdentityPoolId);
  const { identities, lifetimes } = dependencies;
  const pool = identities.pool(input.IdentityPoolId);
  const user = developerUserOf(pool, input.Logins);

  const linked = identities.identityOfDeveloperUser(pool.identityPoolId, user);
  let identity;
  if (input.IdentityId !== undefined) {
    const requested = identities.identityInPool(pool.identityPoolId, input.IdentityId);
    requireAccessibleIdentity(requested);
    if (linked && linked.identityId !== requested.identityId) {
      throw new ResourceConflictException(`Developer user '${user}' is already linked to a different identity than '${input.IdentityId}'.`);
    }
    identity = await identities.linkDeveloperUser(requested, user);
  } else {
    identity = linked ?? (await identities.createIdentity(pool.identityPoolId, user));
  }

  const lifetimeSeconds = Math.min(input.TokenDuration ?? lifetimes.developerTokenDefaultSeconds, lifetimes.tokenMaxSeconds);
  const amr = ['authenticated', pool.developerProviderName, `${pool.developerProviderName}:${pool.identityPoolId}:${user}`];
  const token = await issueOpenIdToken(dependencies, { pool, identityId: identity.identityId, amr, principalTags: input.PrincipalTags ?? {} }, lifetimeSeconds);
  return { IdentityId: identity.identityId, Token: token };
}

/** The identity of a developer user, or the developer users of an identity (paged). */
export async function lookupDeveloperIdentity(dependencies: CognitoServiceDependencies, input: LookupDeveloperIdentityInput, caller: CallerCheck) {
  await caller.authorize(input.IdentityPoolId);
  const { identities } = dependencies;
  const pool = identities.pool(input.IdentityPoolId);
  const byUser =
    input.DeveloperUserIdentifier === undefined ? undefined : identities.identityOfDeveloperUser(pool.identityPoolId, input.DeveloperUserIdentifier);
  if (input.DeveloperUserIdentifier !== undefined && !byUser) {
    throw new ResourceNotFoundException(`Developer user '${input.DeveloperUserIdentifier}' is not linked to any identity of pool '${pool.identityPoolId}'.`);
  }
  const byId = input.IdentityId === undefined ? undefined : identities.identityInPool(pool.identityPoolId, input.IdentityId);
  if (byUser && byId && byUser.identityId !== byId.identityId) {
    throw new ResourceConflictException(`Developer user '${input.DeveloperUserIdentifier}' is linked to a different identity than '${input.IdentityId}'.`);
  }
  const identity = byUser ?? byId;
  if (!identity) throw new ResourceNotFoundException('No identity matches the request.');

  const start = input.NextToken === undefined ? 0 : pageStart(input.NextToken, identity.identityId);
  const end = start + (input.MaxResults ?? DEFAULT_LOOKUP_PAGE_SIZE);
  const users = identity.developerUserIdentifiers;
  return {
    IdentityId: identity.identityId,
    DeveloperUserIdentifierList: users.slice(start, end),
    ...(end < users.length ? { NextToken: pageToken(identity.identityId, end) } : {}),
  };
}

export async function mergeDeveloperIdentities(dependencies: CognitoServiceDependencies, input: MergeDeveloperIdentitiesInput, caller: CallerCheck) {
  await caller.authorize(input.IdentityPoolId);
  const pool = dependencies.identities.pool(input.IdentityPoolId);
  requireDeveloperProvider(pool, input.DeveloperProviderName);
  const identity = await dependencies.identities.mergeDeveloperUsers(pool.identityPoolId, input.SourceUserIdentifier, input.DestinationUserIdentifier);
  return { IdentityId: identity.identityId };
}

export async function unlinkDeveloperIdentity(dependencies: CognitoServiceDependencies, input: UnlinkDeveloperIdentityInput, caller: CallerCheck) {
  await caller.authorize(input.IdentityPoolId);
  const pool = dependencies.identities.pool(input.IdentityPoolId);
  requireDeveloperProvider(pool, input.DeveloperProviderName);
  const identity = dependencies.identities.identityInPool(pool.identityPoolId, input.IdentityId);
  await dependencies.identities.unlinkDeveloperUser(identity, input.DeveloperUserIdentifier);
  return {};
}

/** The developer user id in `Logins`; the pool trusts no other provider. */
function developerUserOf(pool: IdentityPool, logins: Record<string, string>): string {
  for (const provider of Object.keys(logins)) {
    if (provider !== pool.developerProviderName) {
      throw new NotAuthorizedException(`Login provider '${provider}' is not configured for identity pool '${pool.identityPoolId}'.`);
    }
  }
  const user = logins[pool.developerProviderName];
  if (user === undefined) {
    throw new InvalidParameterException(`Logins must name a user of the identity pool's developer provider '${pool.developerProviderName}'.`);
  }
  if ([...user].length > MAX_DEVELOPER_USER_IDENTIFIER_LENGTH) {
    throw new InvalidParameterException(`Developer user identifiers are at most ${MAX_DEVELOPER_USER_IDENTIFIER_LENGTH} characters long.`);
  }
  return user;
}

function requireDeveloperProvider(pool: IdentityPool, developerProviderName: string): void {
  if (developerProviderName !== pool.developerProviderName) {
    throw new InvalidParameterException(
      `Developer provider '${developerProviderName}' is not the developer provider of identity pool '${pool.identityPoolId}'.`,
    );
  }
}

function pageToken(identityId: string, start: number): string {
  return Buffer.from(JSON.stringify({ identityId, start })).toString('base64url');
}

function pageStart(token: string, identityId: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { identityId?: unknown; start?: unknown };
    if (parsed.identityId === identityId && typeof parsed.start === 'number' && Number.isInteger(parsed.start) && parsed.start >= 0) return parsed.start;
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidParameterException('NextToken is not a token of this lookup.');
}
