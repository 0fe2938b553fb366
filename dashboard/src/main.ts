import './styles.css';
import { Api, type Workspace } from './api.js';
import { messageArea } from './alerts.js';
import { auditView } from './audit-view.js';
import { h, uid } from './dom.js';
import { keysView } from './keys-view.js';
import { clearSession, loadSession, saveSession, type Session } from './session.js';

const main = document.getElementById('main')!;

function render(...nodes: Node[]): void {
  main.replaceChildren(...nodes);
  main.focus();
}

function header(session: Session, workspace: Workspace | null): HTMLElement {
  const signOut = h('button', { type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => {
    clearSession();
    signIn();
  });
  const switcher = session.admin && workspace ? h('button', { type: 'button' }, 'Change workspace') : null;
  switcher?.addEventListener('click', () => {
    saveSession({ ...session, workspaceId: null });
    void pickWorkspace({ ...session, workspaceId: null });
  });
  return h('header', { class: 'top' },
    h('h1', {}, 'Cadreen'),
    h('p', { class: 'who' }, session.admin ? 'Admin' : 'Workspace key', workspace ? ` · ${workspace.name}` : '', h('code', {}, workspace ? ` ${workspace.id}` : '')),
    h('div', { class: 'row' }, switcher, signOut));
}

/** Sign-in: paste an API key (or the admin token). */
function signIn(notice?: unknown): void {
  const messages = messageArea();
  const id = uid('token');
  const token = h('input', { id, type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', { class: 'card signin' },
    h('h1', {}, 'Cadreen'),
    h('p', {}, 'Sign in with an API key of your workspace, or with the deployment’s admin token. It is kept only for this browser tab.'),
    h('label', { for: id }, 'API key or admin token'), token, messages.element,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const api = new Api(token.value.trim());
    try {
      const health = await api.health();
      const session: Session = { token: token.value.trim(), admin: health.workspace_id === null, workspaceId: health.workspace_id };
      saveSession(session);
      token.value = '';
      await start(session);
    } catch (error) {
      messages.error(error);
    }
  });
  render(form);
  if (notice) messages.error(notice);
  token.focus();
}

/** The admin's workspace picker, with workspace creation. */
async function pickWorkspace(session: Session): Promise<void> {
  const api = new Api(session.token);
  const messages = messageArea();
  const list = h('ul', { class: 'workspaces' });
  const nameId = uid('workspace-name');
  const name = h('input', { id: nameId, required: true, maxlength: '255', autocomplete: 'off' });
  const form = h('form', { class: 'row' }, h('label', { for: nameId }, 'New workspace'), name, h('button', { type: 'submit' }, 'Create workspace'));
  const choose = (workspace: Workspace) => {
    const next = { ...session, workspaceId: workspace.id };
    saveSession(next);
    void start(next);
  };
  const refresh = async () => {
    try {
      const { workspaces } = await api.listWorkspaces();
      list.replaceChildren(...workspaces.map((workspace) => {
        const open = h('button', { type: 'button' }, workspace.name);
        open.addEventListener('click', () => choose(workspace));
        return h('li', {}, open, ' ', h('code', {}, workspace.id));
      }));
    } catch (error) {
      messages.error(error);
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.createWorkspace(name.value.trim());
      name.value = '';
      messages.done('Workspace created.');
      await refresh();
    } catch (error) {
      messages.error(error);
    }
  });
  render(header(session, null), h('section', { 'aria-labelledby': 'pick-heading', class: 'card' },
    h('h2', { id: 'pick-heading' }, 'Choose a workspace'), messages.element, list, form));
  await refresh();
}

/** The workspace screens: keys and audit log, as tabs. */
async function start(session: Session): Promise<void> {
  if (!session.workspaceId) return pickWorkspace(session);
  const api = new Api(session.token);
  let workspace: Workspace;
  try {
    workspace = await api.getWorkspace(session.workspaceId);
  } catch (error) {
    clearSession();
    return signIn(error);
  }
  const panel = h('div', { class: 'panel' });
  const tabs = ['API keys', 'Audit log'].map((label, index) => {
    const tab = h('button', { type: 'button', role: 'tab', 'aria-selected': index === 0 ? 'true' : 'false' }, label);
    tab.addEventListener('click', () => show(index));
    return tab;
  });
  function show(index: number): void {
    tabs.forEach((tab, i) => tab.setAttribute('aria-selected', i === index ? 'true' : 'false'));
    panel.replaceChildren(index === 0 ? keysView(api, workspace.id) : auditView(api, workspace.id));
  }
  render(header(session, workspace), h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Workspace' }, ...tabs), panel);
  show(0);
}

const session = loadSession();
if (session) void start(session);
else signIn();
