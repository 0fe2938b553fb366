import { Api, type Key } from './api.js';
import { messageArea } from './alerts.js';
import { openDialog, showPlaintextOnce } from './dialogs.js';
import { h, uid, when } from './dom.js';

const PAGE_SIZE = 50;
const GRACE_PERIODS: [string, number][] = [
  ['None — the old key stops at once', 0],
  ['1 hour', 3600],
  ['24 hours', 86_400],
  ['7 days', 604_800],
];

/** Parses `key=value` lines into labels; blank lines are skipped. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`"${line}" is not key=value`);
    labels[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(labels).length ? labels : undefined;
}

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = uid('field');
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

/** The keys of one workspace: filters, sorting, cursor paging, and create / rotate / revoke. */
export function keysView(api: Api, workspaceId: string): HTMLElement {
  const messages = messageArea();
  const prefix = h('input', { type: 'search', name: 'prefix', autocomplete: 'off' });
  const status = h('select', { name: 'status' }, ...['', 'active', 'rotating', 'revoked', 'expired'].map((s) => h('option', { value: s }, s || 'all')));
  const order = h('select', { name: 'order' }, h('option', { value: 'desc' }, 'newest first'), h('option', { value: 'asc' }, 'oldest first'));
  const createButton = h('button', { type: 'button', class: 'primary' }, 'Create key');
  const filters = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter keys' },
    field('Name starts with', prefix), field('Status', status), field('Sort by creation', order), createButton);

  const caption = h('caption', {});
  const body = h('tbody', {});
  const table = h('table', { class: 'keys' }, caption,
    h('thead', {}, h('tr', {}, ...['Name', 'Key', 'Status', 'Created', 'Last used', 'Expires', 'Labels', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  const empty = h('div', { class: 'empty', hidden: true });
  const previous = h('button', { type: 'button' }, 'Previous page');
  const next = h('button', { type: 'button' }, 'Next page');
  const pageInfo = h('span', { class: 'page-info', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of keys' }, previous, pageInfo, next);

  // Cursors of the pages seen so far: going back re-reads a page from its cursor.
  let cursors: (string | undefined)[] = [undefined];
  let page = 0;
  let nextCursor: string | null = null;

  async function load(): Promise<void> {
    try {
      const result = await api.listKeys(workspaceId, {
        limit: PAGE_SIZE,
        order: order.value as 'asc' | 'desc',
        ...(cursors[page] ? { cursor: cursors[page]! } : {}),
        ...(status.value ? { status: status.value } : {}),
        ...(prefix.value.trim() ? { prefix: prefix.value.trim() } : {}),
      });
      nextCursor = result.next_cursor;
      body.replaceChildren(...result.keys.map(row));
      caption.textContent = `${result.count} ${result.count === 1 ? 'key' : 'keys'}`;
      pageInfo.textContent = `Page ${page + 1} of ${Math.max(1, Math.ceil(result.count / PAGE_SIZE))}`;
      previous.disabled = page === 0;
      next.disabled = !nextCursor;
      const filtered = Boolean(status.value || prefix.value.trim());
      empty.hidden = result.keys.length > 0;
      table.hidden = result.keys.length === 0;
      empty.replaceChildren(
        filtered
          ? h('p', {}, 'No key matches these filters. Clear the name or status filter to see every key.')
          : h('p', {}, 'This workspace has no keys yet. Use “Create key” to make one: its secret is shown once, so have a secret manager ready.'),
      );
    } catch (error) {
      messages.error(error);
    }
  }

  function restart(): void {
    cursors = [undefined];
    page = 0;
    void load();
  }

  function row(key: Key): HTMLTableRowElement {
    const rotate = h('button', { type: 'button', 'aria-label': `Rotate ${key.name}` }, 'Rotate');
    const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${key.name}` }, 'Revoke');
    rotate.disabled = key.status !== 'active';
    revoke.disabled = key.status === 'revoked';
    rotate.addEventListener('click', () => rotateDialog(key));
    revoke.addEventListener('click', () => revokeDialog(key));
    const statusText = key.status === 'rotating' && key.grace_until ? `rotating until ${when(key.grace_until)}` : key.status;
    const labels = key.labels ? Object.entries(key.labels).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`)) : ['—'];
    const cell = (label: string, ...content: (Node | string)[]) => h('td', { 'data-label': label }, ...content);
    return h('tr', { 'data-key-id': key.id },
      h('th', { scope: 'row', 'data-label': 'Name' }, key.name),
      cell('Key', h('code', {}, `${key.start}…`)),
      cell('Status', h('span', { class: `badge badge-${key.status}` }, statusText)),
      cell('Created', when(key.created_at)),
      cell('Last used', when(key.last_used_at)),
      cell('Expires', when(key.expires_at)),
      cell('Labels', ...labels),
      cell('Actions', h('div', { class: 'row-actions' }, rotate, revoke)),
    );
  }

  function createDialog(): void {
    openDialog('Create an API key', (close) => {
      const formMessages = messageArea();
      const name = h('input', { name: 'name', required: true, maxlength: '255', autocomplete: 'off' });
      const description = h('input', { name: 'description', maxlength: '1024', autocomplete: 'off' });
      const labels = h('textarea', { name: 'labels', rows: '3' });
      const expires = h('input', { name: 'expires', type: 'datetime-local' });
      const cancel = h('button', { type: 'button' }, 'Cancel');
      cancel.addEventListener('click', close);
      const form = h('form', {}, field('Name', name), field('Description', description),
        field('Labels', labels, 'One key=value per line, e.g. env=production'),
        field('Expires (optional)', expires, 'Leave empty for a key that does not expire'),
        formMessages.element,
        h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', class: 'primary' }, 'Create')));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          const issued = await api.createKey(workspaceId, {
            name: name.value.trim(),
            ...(description.value.trim() ? { description: description.value.trim() } : {}),
            ...(parseLabels(labels.value) ? { labels: parseLabels(labels.value)! } : {}),
            ...(expires.value ? { expires_at: new Date(expires.value).toISOString() } : {}),
          });
          close();
          showPlaintextOnce(`Key “${issued.name}” created`, issued.plaintext, restart);
        } catch (error) {
          formMessages.error(error);
        }
      });
      return [form];
    });
  }

  function rotateDialog(key: Key): void {
    openDialog(`Rotate “${key.name}”`, (close) => {
      const formMessages = messageArea();
      const grace = h('select', { name: 'grace' }, ...GRACE_PERIODS.map(([label, seconds]) => h('option', { value: String(seconds) }, label)));
      const cancel = h('button', { type: 'button' }, 'Cancel');
      cancel.addEventListener('click', close);
      const form = h('form', {},
        h('p', {}, 'A new key replaces this one. During the grace period the old key keeps working, so you can deploy the new one first.'),
        field('Grace period', grace), formMessages.element,
        h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', class: 'primary' }, 'Rotate')));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          const issued = await api.rotateKey(workspaceId, key.id, Number(grace.value));
          close();
          showPlaintextOnce(`New key for “${issued.name}”`, issued.plaintext, () => void load());
        } catch (error) {
          formMessages.error(error);
        }
      });
      return [form];
    });
  }

  function revokeDialog(key: Key): void {
    openDialog(`Revoke “${key.name}”`, (close) => {
      const formMessages = messageArea();
      const confirmation = h('input', { name: 'confirm', autocomplete: 'off', spellcheck: 'false' });
      const submit = h('button', { type: 'submit', class: 'danger' }, 'Revoke');
      submit.disabled = true;
      confirmation.addEventListener('input', () => (submit.disabled = confirmation.value !== key.name));
      const cancel = h('button', { type: 'button' }, 'Cancel');
      cancel.addEventListener('click', close);
      const form = h('form', {},
        h('p', {}, 'Requests with this key will be refused at once. This cannot be undone.'),
        field(`Type the key’s name (${key.name}) to confirm`, confirmation), formMessages.element,
        h('div', { class: 'actions' }, cancel, submit));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (confirmation.value !== key.name) return;
        try {
          await api.revokeKey(workspaceId, key.id);
          close();
          messages.done(`Key “${key.name}” revoked.`);
          void load();
        } catch (error) {
          formMessages.error(error);
        }
      });
      return [form];
    });
  }

  let typing: number | undefined;
  prefix.addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(restart, 250);
  });
  status.addEventListener('change', restart);
  order.addEventListener('change', restart);
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    restart();
  });
  createButton.addEventListener('click', createDialog);
  previous.addEventListener('click', () => {
    if (page === 0) return;
    page--;
    void load();
  });
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors[page + 1] = nextCursor;
    page++;
    void load();
  });

  void load();
  return h('section', { 'aria-labelledby': 'keys-heading' }, h('h2', { id: 'keys-heading' }, 'API keys'), filters, messages.element, empty, h('div', { class: 'table-wrap' }, table), pager);
}
