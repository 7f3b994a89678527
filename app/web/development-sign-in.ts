/**
 * The token service's local-mode sign-in (`POST /v1/dev/session`): any user (and tenant) gets a
 * session token. A deployed app signs its users in with its own login instead.
 */
export async function requestDevelopmentSession(tokenServiceUrl: string, user: string, tenant?: string): Promise<string> {
  const response = await fetch(`${tokenServiceUrl}/v1/dev/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...(tenant ? { tenant } : {}) }),
  });
  const body = (await response.json().catch(() => ({}))) as { sessionToken?: string; error?: { message?: string } };
  if (!response.ok || !body.sessionToken) throw new Error(body.error?.message ?? `sign-in failed (HTTP ${response.status})`);
  return body.sessionToken;
}
