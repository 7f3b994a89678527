/**
 * IAM policy variables used by the access rules. A misspelt variable fails silently on AWS (the
 * statement simply never matches), so rules never spell them by hand: they refer to these
 * constants, and the tests check the emitted strings.
 */
export const IDENTITY_ID_VARIABLE = '${cognito-identity.amazonaws.com:sub}';

export function principalTagVariable(tagKey: string): string {
  return '${aws:PrincipalTag/' + tagKey + '}';
}

/** Placeholders admins write in rule prefixes, and the policy variable each one stands for. */
export const IDENTITY_ID_PLACEHOLDER = '{identityId}';
export const PRINCIPAL_TAG_PLACEHOLDER_PATTERN = /\{tag:([A-Za-z0-9_.:/=+\-@]{1,128})\}/g;
