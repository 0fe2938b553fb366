import type { Api, Key, KeyStatus } from './api.js';
import { h, time } from './dom.js';
import { field } from './forms.js';
import { createKeyDialog, revokeKeyDialog, rotateKeyDialog } from './key-dialogs.js';
import { messageArea } from './messages.js';
import { describeActor, namesOf } from './names.js';
import { cursorPager } from './pager.js';
import { cell, dataTable, rowHeader, tableRow } from './table.js';
import { param, setParams } from './url-state.js';

const PAGE_SIZE = 50;
const STATUSES: readonly KeyStatus[] = ['active', 'rotating', 'revoked', 'expired'];
const isStatus = (value: string): value is KeyStatus => (STATUSES as readonly string[]).includes(value);
const COLUMNS = ['Name', 'Key', 'Status', 'Created', 'Created by', 'Last used', 'Expires', 'Labels', 'Actions'];

/** The status badge; a rotating key with a grace period also says until when the old key works. */
function statusBadge(key: Key): HTMLElement {
  const badge = h('span', { class: `badge badge-${key.status}` }, key.status);
  if (key.status !== 'rotating' || !key.grace_until) return h('span', { class: 'status' }, badge);
  const over = Date.parse(key.grace_until) <= Date.now();
  return h('span', { class: 'status' }, badge, h('span', { class: 'grace' }, over ? 'grace ended ' : 'works until ', time(key.grace_until)));
}

/** Who created a key, filled in once known (a person by name and email, a key by its name). */
function creatorCell(names: ReturnType<typeof namesOf>, key: Key): HTMLElement {
  const slot = h('span', { class: 'pending' }, '…');
  void names.creatorOf(key).then((creator) => slot.replaceWith(describeActor(creator, key.created_by)));
  return cell('Created by', slot);
}

/**
 * The keys of one workspace: filters by name prefix and status, order by creation time, cursor
 * paging, and create / rotate / revoke. `currentKeyId` is the key the session signed in with.
 * Filters, order and page live in the address, so a reload shows the same keys.
 */
export function keysView(api: Api, workspaceId: string, currentKeyId: string | null): HTMLElement {
  const messages = messageArea();
  const names = namesOf(api, workspaceId);
  const prefix = h('input', { type: 'search', name: 'prefix', autocomplete: 'off', spellcheck: 'false' });
  const statusFilter = h('select', { name: 'status' }, h('option', { value: '' }, 'all'), ...STATUSES.map((s) => h('option', { value: s }, s)));
  const order = h('select', { name: 'order' }, h('option', { value: 'desc' }, 'newest first'), h('option', { value: 'asc' }, 'oldest first'));
  prefix.value = param('prefix') ?? '';
  statusFilter.value = isStatus(param('status') ?? '') ? param('status')! : '';
  order.value = param('order') === 'asc' ? 'asc' : 'desc';
  const createButton = h('button', { type: 'button', class: 'primary' }, 'Create key');
  const filters = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter keys' },
    field('Name starts with', prefix), field('Status', statusFilter), field('Sort by creation', order));

  const caption = h('caption', {});
  const { table, headers, body } = dataTable('keys', caption, COLUMNS);
  const createdHeader = headers[COLUMNS.indexOf('Created')]!;
  const empty = h('div', { class: 'empty', hidden: true });
  const filtered = () => Boolean(statusFilter.value || prefix.value.trim());

  const query = () => JSON.stringify([prefix.value.trim(), statusFilter.value, order.value]);
  /** Puts the filters in the address and reads the first page they select. */
  const refilter = () => {
    setParams({ prefix: prefix.value.trim(), status: statusFilter.value, order: order.value === 'asc' ? 'asc' : undefined });
    pager.restart();
  };
  const pager = cursorPager({
    list: 'keys',
    query,
    label: 'Pages of keys',
    previousText: 'Previous page',
    nextText: 'Next page',
    onError: messages.error,
    async load(cursor) {
      const result = await api.listKeys(workspaceId, {
        limit: PAGE_SIZE,
        order: order.value === 'asc' ? 'asc' : 'desc',
        cursor,
        status: isStatus(statusFilter.value) ? statusFilter.value : undefined,
        prefix: prefix.value.trim() || undefined,
      });
      return {
        nextCursor: result.next_cursor,
        show(pageIndex) {
          messages.clear(true);
          names.learnKeys(result.keys);
          body.replaceChildren(...result.keys.map(row));
          caption.textContent = `${result.count} ${result.count === 1 ? 'key' : 'keys'}${filtered() ? ' match' : ''}`;
          createdHeader.setAttribute('aria-sort', order.value === 'asc' ? 'ascending' : 'descending');
          pager.info.textContent = `Page ${pageIndex + 1} of ${Math.max(1, Math.ceil(result.count / PAGE_SIZE))}`;
          empty.hidden = result.keys.length > 0;
          table.hidden = result.keys.length === 0;
          empty.replaceChildren(filtered()
            ? h('p', {}, 'No key matches these filters. Clear the name or the status filter to see every key.')
            : h('p', {}, 'This workspace has no keys yet. Choose “Create key” to make one: its secret is shown only once, so have a secret manager ready.'));
        },
      };
    },
  });

  function row(key: Key): HTMLTableRowElement {
    const signedInWithIt = key.id === currentKeyId;
    const which = `${key.name} (${key.start}…)`;
    const rotate = h('button', { type: 'button', 'aria-label': `Rotate ${which}` }, 'Rotate');
    const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${which}` }, 'Revoke');
    rotate.disabled = key.status !== 'active';
    revoke.disabled = key.status === 'revoked';
    rotate.addEventListener('click', () => rotateKeyDialog(api, workspaceId, key, signedInWithIt, pager.reload));
    revoke.addEventListener('click', () => revokeKeyDialog(api, workspaceId, key, signedInWithIt, () => {
      messages.done(`Key “${key.name}” revoked.`);
      pager.reload();
    }));
    const labels = Object.entries(key.labels ?? {}).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`));
    const labelList = labels.length > 0 ? h('span', { class: 'labels' }, ...labels) : '—';
    return tableRow({ 'data-key-id': key.id },
      rowHeader('Name', h('span', {}, key.name,
        key.description ? h('span', { class: 'description' }, key.description) : null,
        signedInWithIt ? h('span', { class: 'you' }, 'signed in with this key') : null)),
      cell('Key', h('code', {}, `${key.start}…`)),
      cell('Status', statusBadge(key)),
      cell('Created', time(key.created_at)),
      creatorCell(names, key),
      cell('Last used', time(key.last_used_at, 'never')),
      cell('Expires', time(key.expires_at, 'never')),
      cell('Labels', labelList),
      cell('Actions', h('div', { class: 'row-actions' }, rotate, revoke)),
    );
  }

  let typing: number | undefined;
  prefix.addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(refilter, 250);
  });
  statusFilter.addEventListener('change', refilter);
  order.addEventListener('change', refilter);
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    window.clearTimeout(typing);
    refilter();
  });
  createButton.addEventListener('click', () => createKeyDialog(api, workspaceId, pager.restart));

  pager.resume();
  return h('section', { 'aria-labelledby': 'keys-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'keys-heading' }, 'API keys'), createButton),
    filters, messages.element, empty, h('div', { class: 'table-wrap' }, table), pager.element);
}
