import './styles.css';
import { Api, ApiError, endsSession, type Workspace } from './api.js';
import { auditView } from './audit-view.js';
import { h } from './dom.js';
import { keysView } from './keys-view.js';
import { clearSession, loadSession, saveSession, type Session } from './session.js';
import { signInView } from './signin-view.js';
import { tabs } from './tabs.js';
import { workspacePicker } from './workspaces-view.js';

const main = document.getElementById('main')!;

/** Replaces the screen and moves the focus to its start (or to `focus`), so screen readers follow. */
function render(focus: HTMLElement | null, ...nodes: Node[]): void {
  main.replaceChildren(...nodes);
  (focus ?? main).focus();
}

function header(session: Session, workspace: Workspace | null): HTMLElement {
  const signOut = h('button', { type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => signIn());
  const switcher = session.admin && workspace ? h('button', { type: 'button' }, 'Change workspace') : null;
  switcher?.addEventListener('click', () => void open({ ...session, workspaceId: null }));
  return h('header', { class: 'top' },
    h('h1', {}, 'Cadreen'),
    h('p', { class: 'who' }, session.admin ? 'Admin token' : 'Workspace key',
      workspace ? h('span', {}, ' · ', h('strong', {}, workspace.name), ' ', h('code', {}, workspace.id)) : null),
    h('div', { class: 'row' }, switcher, signOut));
}

/** Forgets the session and asks for a token; `notice` says why the previous session ended. */
function signIn(notice?: unknown): void {
  clearSession();
  const view = signInView(open, notice);
  render(view.input, view.element);
}

/** Opens the session's workspace, or the admin's workspace picker when none is chosen. */
async function open(session: Session): Promise<void> {
  saveSession(session);
  const api = new Api(session.token, signIn);
  if (!session.workspaceId) {
    render(null, header(session, null), workspacePicker(api, (workspace) => void open({ ...session, workspaceId: workspace.id })));
    return;
  }
  let workspace: Workspace;
  try {
    workspace = await api.getWorkspace(session.workspaceId);
  } catch (error) {
    if (!(error instanceof ApiError && endsSession(error.code))) signIn(error);
    return;
  }
  render(null, header(session, workspace), tabs('Workspace', [
    { label: 'API keys', render: () => keysView(api, workspace.id, session.keyId) },
    { label: 'Audit log', render: () => auditView(api, workspace.id) },
  ]));
}

const session = loadSession();
if (session) void open(session);
else signIn();
