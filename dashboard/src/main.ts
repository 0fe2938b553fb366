import './styles.css';
import { Api, ApiError, endsSession, signInMethods, type Me, type Membership, type Workspace } from './api.js';
import { auditView } from './audit-view.js';
import { h, uid } from './dom.js';
import { keysView } from './keys-view.js';
import { membersView } from './members-view.js';
import { messageArea } from './messages.js';
import { clearSession, loadSession, saveSession, type Session } from './session.js';
import { signInErrorSentence, signInView } from './signin-view.js';
import { tabs, type Tab } from './tabs.js';
import { param, resetParams, setParams, setTab } from './url-state.js';
import { workspacePicker } from './workspaces-view.js';

const main = document.getElementById('main')!;
const SESSION_ENDED = 'You are signed out: your sign-in has ended (it expired, or you signed out in another tab). Sign in again.';

/** Replaces the screen and moves the focus to its start (or to `focus`), so screen readers follow. */
function render(focus: HTMLElement | null, ...nodes: Node[]): void {
  main.replaceChildren(...nodes);
  (focus ?? main).focus();
}

let methods: Promise<{ sso: boolean }> | undefined;

/**
 * Forgets any pasted token and shows the sign-in page. `notice` says why the previous session
 * ended or why signing in failed; `done` confirms a sign-out.
 */
async function signIn(notice?: unknown, done?: string): Promise<void> {
  clearSession();
  const { sso } = await (methods ??= signInMethods());
  const view = signInView({ sso, onTokenSignedIn: openToken, notice, ...(done ? { done } : {}) });
  render(view.focus, view.element);
}

/** The page's top: who is signed in, the workspace (with a switcher when there is a choice) and sign-out. */
function header(who: (Node | string)[], controls: (HTMLElement | null)[], signOut: () => Promise<void>): HTMLElement {
  const messages = messageArea();
  const button = h('button', { type: 'button' }, 'Sign out');
  button.addEventListener('click', () => signOut().catch(messages.error));
  return h('header', { class: 'top' }, h('h1', {}, 'Cadreen'), h('p', { class: 'who' }, ...who), h('div', { class: 'row' }, ...controls, button), messages.element);
}

/** The workspace's tabs; the one in the address is shown first, and choosing one puts it there. */
function workspaceTabs(entries: Tab[]): HTMLElement {
  return tabs('Workspace', entries, param('tab'), setTab);
}

// ---- A person signed in with a session cookie -------------------------------------------------

/** Reads who is signed in again (after a change to the person's own membership) and shows it. */
async function reopenPerson(): Promise<void> {
  const api = personApi();
  try {
    openPerson(api, await api.me());
  } catch (error) {
    if (!(error instanceof ApiError && endsSession(error.code))) void signIn(error);
  }
}

const personApi = () => new Api('session', () => {
  resetParams();
  void signIn(SESSION_ENDED);
});

async function signOutPerson(api: Api): Promise<void> {
  await api.signOut();
  resetParams();
  await signIn(undefined, 'You are signed out.');
}

/** The switcher across the person's workspaces (name and role); choosing one opens it. */
function workspaceSwitcher(memberships: Membership[], current: Membership, onChoose: (workspaceId: string) => void): HTMLElement {
  const id = uid('workspace');
  const select = h('select', { id, name: 'workspace' },
    ...memberships.map((m) => h('option', { value: m.workspace_id }, `${m.workspace_name} — ${m.role}`)));
  select.value = current.workspace_id;
  select.addEventListener('change', () => onChoose(select.value));
  return h('div', { class: 'switcher' }, h('label', { for: id }, 'Workspace'), select);
}

/** The dashboard of a person: the workspace the address names (or their first), its keys, audit log and members. */
function openPerson(api: Api, me: Me): void {
  const profile = me.profile!;
  const person = profile.name && profile.email && profile.name !== profile.email
    ? [h('strong', {}, profile.name), ` ${profile.email}`]
    : [h('strong', {}, profile.email ?? profile.name ?? profile.id)];
  const who = [h('span', {}, 'Signed in as '), ...person];
  const current = me.memberships.find((m) => m.workspace_id === param('workspace')) ?? me.memberships[0];
  if (!current) {
    resetParams();
    render(null, header(who, [], () => signOutPerson(api)),
      h('section', { class: 'card', 'aria-labelledby': 'no-workspace' },
        h('h2', { id: 'no-workspace' }, 'No workspace yet'),
        h('p', {}, `You are signed in, but not a member of any workspace. Ask a workspace owner to add ${profile.email ?? 'you'} as a member; then reload this page.`)));
    return;
  }
  if (param('workspace') !== current.workspace_id) resetParams({ workspace: current.workspace_id });
  const switcher = me.memberships.length > 1
    ? workspaceSwitcher(me.memberships, current, (workspaceId) => {
      resetParams({ workspace: workspaceId, tab: param('tab') });
      openPerson(api, me);
      main.querySelector<HTMLSelectElement>('select[name="workspace"]')?.focus();
    })
    : null;
  const place = h('span', {}, ' · ', h('strong', {}, current.workspace_name), ` (${current.role})`);
  const owner = current.role === 'owner';
  render(null, header([...who, place], [switcher], () => signOutPerson(api)), workspaceTabs([
    { name: 'keys', label: 'API keys', render: () => keysView(api, current.workspace_id, null) },
    { name: 'audit', label: 'Audit log', render: () => auditView(api, current.workspace_id) },
    { name: 'members', label: 'Members', render: () => membersView(api, current.workspace_id, { manage: owner, selfId: profile.id, onSelfChanged: () => void reopenPerson() }) },
  ]));
}

// ---- A pasted API key or the admin token ------------------------------------------------------

/** Opens the token's workspace, or the admin's workspace picker when none is chosen. */
async function openToken(session: Session): Promise<void> {
  saveSession(session);
  const api = new Api({ token: session.token }, (error) => {
    resetParams();
    void signIn(error);
  });
  const signOut = async () => {
    clearSession();
    resetParams();
    await signIn(undefined, 'You are signed out.');
  };
  const kind = session.admin ? 'Admin token' : 'Workspace key';
  if (!session.workspaceId) {
    resetParams();
    render(null, header([kind], [], signOut), workspacePicker(api, (workspace) => void openToken({ ...session, workspaceId: workspace.id })));
    return;
  }
  let workspace: Workspace;
  try {
    workspace = await api.getWorkspace(session.workspaceId);
  } catch (error) {
    if (!(error instanceof ApiError && endsSession(error.code))) void signIn(error);
    return;
  }
  if (param('workspace') !== workspace.id) resetParams({ workspace: workspace.id });
  const change = session.admin ? h('button', { type: 'button' }, 'Change workspace') : null;
  change?.addEventListener('click', () => void openToken({ ...session, workspaceId: null }));
  const entries: Tab[] = [
    { name: 'keys', label: 'API keys', render: () => keysView(api, workspace.id, session.keyId) },
    { name: 'audit', label: 'Audit log', render: () => auditView(api, workspace.id) },
  ];
  // The admin token manages every workspace's members; a key manages keys only.
  if (session.admin) entries.push({ name: 'members', label: 'Members', render: () => membersView(api, workspace.id, { manage: true, selfId: null, onSelfChanged: () => undefined }) });
  render(null, header([kind, h('span', {}, ' · ', h('strong', {}, workspace.name), ' ', h('code', {}, workspace.id))], [change], signOut), workspaceTabs(entries));
}

// ---- Start ------------------------------------------------------------------------------------

/**
 * A token pasted in this tab wins; otherwise the server says whether the browser has a session
 * (GET /me answers 401 when it has none). `sign_in_error` is what single sign-on came back with.
 */
async function start(): Promise<void> {
  const refused = param('sign_in_error');
  if (refused !== undefined) setParams({ sign_in_error: undefined });
  const stored = loadSession();
  if (stored) return openToken(stored);
  let me: Me;
  try {
    me = await new Api('session').me();
  } catch (error) {
    const signedOut = error instanceof ApiError && endsSession(error.code);
    return signIn(refused !== undefined ? signInErrorSentence(refused) : signedOut ? undefined : error);
  }
  if (me.profile?.type !== 'PROFILE_TYPE_USER') return signIn(refused !== undefined ? signInErrorSentence(refused) : undefined);
  openPerson(personApi(), me);
}

void start();
