/**
 * The signed-in token and what it is. Kept in sessionStorage only — gone when the tab closes, never
 * shared with other tabs or kept on disk like localStorage — and sent only as a Bearer header to
 * this origin.
 */
const STORAGE_KEY = 'cadreen.session';

export interface Session {
  token: string;
  /** The admin token: it picks a workspace; a key always works in its own. */
  admin: boolean;
  workspaceId: string | null;
  /** The key signed in with (null for the admin token). */
  keyId: string | null;
}

/** The session of this tab, if it has signed in. */
export function loadSession(): Session | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<Session> | null;
    if (!stored || typeof stored.token !== 'string' || !stored.token) return null;
    return { token: stored.token, admin: stored.admin === true, workspaceId: stored.workspaceId ?? null, keyId: stored.keyId ?? null };
  } catch {
    return null;
  }
}

/** Keeps the session for this tab. */
export function saveSession(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

/** Forgets the session: the token is no longer stored anywhere by the page. */
export function clearSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
