import type { IssuedCredentials } from '../credentials/issued-credentials.ts';
import type { RequestPrincipal } from '../../policy-engine/index.ts';

/** The principal of a role session, as resource policies see it. */
export function sessionPrincipal(caller: IssuedCredentials): RequestPrincipal {
  return { arn: caller.sessionArn, roleArn: caller.roleArn, accountId: caller.roleArn.split(':')[4] };
}
