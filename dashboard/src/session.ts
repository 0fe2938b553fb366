/**
 * The signed-in token and workspace. Kept in sessionStorage only — gone when the tab closes, never
 * shared with other tabs or written to disk by localStorage — and sent only as a Bearer header to
 * this origin.
 */
const TOKEN = 'cadreen.token';
const WORKSPACE = 'cadreen.workspace';
const ADMIN = 'cadreen.admin';

export interface Session {
  token: string;
  admin: boolean;
  workspaceId: string | null;
}

export function loadSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  return { token, admin: sessionStorage.getItem(ADMIN) === 'true', workspaceId: sessionStorage.getItem(WORKSPACE) };
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(TOKEN, session.token);
  sessionStorage.setItem(ADMIN, String(session.admin));
  if (session.workspaceId) sessionStorage.setItem(WORKSPACE, session.workspaceId);
  else sessionStorage.removeItem(WORKSPACE);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(ADMIN);
  sessionStorage.removeItem(WORKSPACE);
}
