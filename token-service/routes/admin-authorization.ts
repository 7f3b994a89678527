import { createHash, timingSafeEqual } from 'node:crypto';
import type { PlatformBindings } from '../http/token-service-env.ts';

/**
 * Decides whether a request may use the admin routes. It is separate from the end users'
 * authenticator on purpose: an app session token must never open them.
 */
export type AdminAuthorizer = (request: Request, platform: PlatformBindings) => boolean | Promise<boolean>;

export const denyAllAdmins: AdminAuthorizer = () => false;

/** Local mode: `Authorization: Bearer <secret>` with the configured admin secret, compared in constant time. */
export function createAdminSecretAuthorizer(secret: string): AdminAuthorizer {
  if (secret.length < 16) throw new Error('The admin secret must be at least 16 characters long.');
  const expected = digest(secret);
  return (request) => {
    const match = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '');
    if (!match) return false;
    return timingSafeEqual(digest(match[1]!), expected);
  };
}

/**
 * In the stack the admin route is IAM-authorized by API Gateway, which rejects unsigned or
 * unauthorized calls before the function runs and puts the caller's IAM identity in the event.
 */
export const apiGatewayIamAuthorizer: AdminAuthorizer = (_request, platform) => Boolean(platform.requestContext?.authorizer?.iam);

/** Equal-length digests make the comparison independent of the secret's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
