import type { Api } from './api.js';
import { h, time } from './dom.js';
import { field } from './forms.js';
import { messageArea } from './messages.js';
import { cursorPager } from './pager.js';
import { cell, dataTable, tableRow } from './table.js';

const PAGE_SIZE = 25;
const EVENT_TYPES = ['key.created', 'key.updated', 'key.rotated', 'key.revoked', 'auth.refused', 'workspace.created', 'workspace.updated'];
const COLUMNS = ['Time', 'Event', 'Key', 'Refusal code', 'Actor', 'IP'];

/** The workspace's audit log, newest first, a page at a time, optionally of one event type. */
export function auditView(api: Api, workspaceId: string): HTMLElement {
  const messages = messageArea();
  const type = h('select', { name: 'type' }, h('option', { value: '' }, 'all events'), ...EVENT_TYPES.map((t) => h('option', { value: t }, t)));
  const filters = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter events' }, field('Event type', type));
  const { table, body } = dataTable('audit', h('caption', {}, 'Newest first'), COLUMNS);
  const empty = h('p', { class: 'empty', hidden: true }, 'No events yet. Creating, rotating or revoking a key, and every refused use of a known key, is recorded here.');

  const pager = cursorPager({
    label: 'Pages of events',
    previousText: 'Newer',
    nextText: 'Older',
    onError: messages.error,
    async load(cursor) {
      const result = await api.auditEvents(workspaceId, { limit: PAGE_SIZE, cursor, type: type.value || undefined });
      return {
        nextCursor: result.next_cursor,
        show(pageIndex) {
          messages.clear(true);
          body.replaceChildren(...result.events.map((event) => tableRow({},
            cell('Time', time(event.created_at)),
            cell('Event', event.type),
            cell('Key', event.key_id ?? '—'),
            cell('Refusal code', event.code ?? '—'),
            cell('Actor', event.actor_profile_id ?? '—'),
            cell('IP', event.ip ?? '—'))));
          pager.info.textContent = `Page ${pageIndex + 1}`;
          empty.hidden = result.events.length > 0;
          table.hidden = result.events.length === 0;
        },
      };
    },
  });
  type.addEventListener('change', pager.restart);
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    pager.restart();
  });

  pager.restart();
  return h('section', { 'aria-labelledby': 'audit-heading' }, h('h2', { id: 'audit-heading' }, 'Audit log'),
    filters, messages.element, empty, h('div', { class: 'table-wrap' }, table), pager.element);
}
