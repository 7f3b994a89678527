/**
 * Who the page is signed in as, kept for this tab (sessionStorage) so a reload does not sign out;
 * a guest's identity id is kept in localStorage, so "Continue as guest" later finds the same files.
 */
export type SavedSession = { kind: 'user'; user: string; sessionToken: string } | { kind: 'guest' };

const SESSION_KEY = 'scoped-storage-session';
const GUEST_IDENTITY_KEY = 'scoped-storage-guest-identity';

export function readSavedSession(): SavedSession | undefined {
  const saved = sessionStorage.getItem(SESSION_KEY);
  if (!saved) return undefined;
  try {
    const session = JSON.parse(saved) as SavedSession;
    if (session.kind === 'guest' || (session.kind === 'user' && typeof session.sessionToken === 'string')) return session;
  } catch {
    // A damaged entry is the same as none: the visitor signs in again.
  }
  sessionStorage.removeItem(SESSION_KEY);
  return undefined;
}

export function saveSession(session: SavedSession): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

export function readGuestIdentityId(): string | undefined {
  return localStorage.getItem(GUEST_IDENTITY_KEY) ?? undefined;
}

export function saveGuestIdentityId(identityId: string): void {
  localStorage.setItem(GUEST_IDENTITY_KEY, identityId);
}

/** After a sign-in that linked the guest identity, it belongs to the user: the page must not come back to it as a guest. */
export function forgetGuestIdentityId(): void {
  localStorage.removeItem(GUEST_IDENTITY_KEY);
}
