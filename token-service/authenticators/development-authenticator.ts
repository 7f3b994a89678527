import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { jwtVerify, SignJWT } from 'jose';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { InvalidRequestError } from '../http/token-service-errors.ts';
import { limitBody, readJsonBody, stringFields } from '../http/token-service-request-body.ts';
import { tagValueProblem } from '../tokens/principal-tags.ts';
import { isValidUserId, sessionFromClaims, USER_ID_RULE, type Authenticator } from './authenticator.ts';
import { deriveKey } from './key-derivation.ts';
import { sessionRejection } from './session-rejection.ts';

const DEVELOPMENT_ISSUER = 'urn:scoped-storage:token-service:development';
const SESSION_PATH = '/v1/dev/session';
/** Room for a 1024-character user id and a 256-character tenant, even JSON-escaped. */
const MAX_SIGN_IN_BODY_BYTES = 8 * 1024;

export interface DevelopmentAuthenticatorOptions {
  /** Signs the sessions; give one to keep sessions valid across restarts. @default 32 random bytes per process */
  secret?: Uint8Array;
  /** @default 12 hours */
  sessionLifetimeSeconds?: number;
  /** Checked for AWS_LAMBDA_FUNCTION_NAME. @default process.env */
  environment?: Readonly<Record<string, string | undefined>>;
  clock?: () => number;
}

/**
 * Local mode's sign-in: anyone may become any user (and tenant) through `POST /v1/dev/session`,
 * so demos, the CLI and tests need no identity provider. This module is never imported by the
 * Lambda entry point, and it refuses to exist inside a Lambda function.
 */
export function createDevelopmentAuthenticator(options: DevelopmentAuthenticatorOptions = {}): Authenticator {
  const environment = options.environment ?? process.env;
  if (environment.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    throw new Error('The development sign-in lets anyone act as any user; it cannot run inside AWS Lambda.');
  }
  const secret = options.secret ?? randomBytes(32);
  const lifetimeSeconds = options.sessionLifetimeSeconds ?? 12 * 3600;
  const clock = options.clock ?? Date.now;

  async function issueSessionToken(user: string, tenant: string | undefined): Promise<string> {
    const now = Math.floor(clock() / 1000);
    return new SignJWT(tenant === undefined ? {} : { tenant })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(DEVELOPMENT_ISSUER)
      .setAudience(DEVELOPMENT_ISSUER)
      .setSubject(user)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(secret);
  }

  const routes = new Hono<TokenServiceEnv>();
  routes.post(SESSION_PATH, limitBody(MAX_SIGN_IN_BODY_BYTES), async (c) => {
    const { user, tenant } = stringFields(await readJsonBody(c.req.raw), ['user', 'tenant']);
    if (!isValidUserId(user)) throw new InvalidRequestError(`"user" must be a user id of ${USER_ID_RULE}.`);
    const tenantProblem = tenant === undefined ? undefined : (surroundingSpaceProblem(tenant) ?? tagValueProblem(tenant));
    if (tenantProblem !== undefined) throw new InvalidRequestError(`"tenant" cannot be a principal tag value: ${tenantProblem}.`);
    return c.json({ sessionToken: await issueSessionToken(user, tenant) }, 200, { 'cache-control': 'no-store' });
  });

  return {
    routes,
    derivedKey: async (purpose) => deriveKey(secret, purpose),
    async authenticate(sessionToken) {
      let payload;
      try {
        ({ payload } = await jwtVerify(sessionToken, secret, {
          algorithms: ['HS256'],
          issuer: DEVELOPMENT_ISSUER,
          audience: DEVELOPMENT_ISSUER,
          currentDate: new Date(clock()),
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw sessionRejection(error);
      }
      return sessionFromClaims(payload, 'sub');
    },
  };
}

/**
 * A tenant typed with a stray space (" acme") would be a tenant of its own, tenants/ acme/, that
 * looks like acme everywhere it is shown; the sign-in refuses it instead of trimming, so what the
 * developer typed is what the session says.
 */
function surroundingSpaceProblem(tenant: string): string | undefined {
  if (tenant.trim() === tenant) return undefined;
  return 'it begins or ends with white space, and " acme" would be a tenant apart from "acme"';
}
