import type { AuditEventType } from '@cadreen/sdk';
import type { Api, AuditEvent } from './api.js';
import { h, time } from './dom.js';
import { field } from './forms.js';
import { messageArea } from './messages.js';
import { describeActor, namesOf, type WorkspaceNames } from './names.js';
import { cursorPager } from './pager.js';
import { cell, dataTable, tableRow } from './table.js';
import { param, setParams } from './url-state.js';

const PAGE_SIZE = 25;

/** Every event type, in words: a type the SDK knows but this table lacks does not compile. */
export const EVENT_NAMES: Record<AuditEventType, string> = {
  'key.created': 'Key created',
  'key.updated': 'Key updated',
  'key.rotated': 'Key rotated',
  'key.revoked': 'Key revoked',
  'auth.refused': 'Use refused',
  'workspace.created': 'Workspace created',
  'workspace.updated': 'Workspace updated',
  'member.added': 'Member added',
  'member.updated': 'Member’s role changed',
  'member.removed': 'Member removed',
  'session.created': 'Signed in',
  'session.ended': 'Signed out',
};

const SIGN_IN_METHODS: Record<string, string> = { link: 'with a sign-in link', oidc: 'with single sign-on' };
const COLUMNS = ['Time', 'Event', 'Key', 'Details', 'Actor', 'IP'];

/** The key an event is about, by name once known (its id until then, or when it cannot be read). */
function keyCell(names: WorkspaceNames, keyId: string | null): HTMLElement {
  if (!keyId) return cell('Key', '—');
  const slot = h('code', { class: 'pending' }, keyId);
  void names.keyName(keyId).then((name) => {
    if (name !== null) slot.replaceWith(h('span', { class: 'key-name', title: keyId }, name));
    else slot.classList.remove('pending');
  });
  return cell('Key', slot);
}

/** What else an event says: the refusal, the member and their role, or how a person signed in. */
function details(event: AuditEvent): (Node | string)[] {
  if (event.type === 'auth.refused') return event.code ? [h('code', {}, event.code)] : ['—'];
  if (event.type.startsWith('member.')) {
    const who = describeActor(event.member, null);
    const role = event.code ? ` as ${event.code}` : '';
    return event.member ? [who, role] : [role || '—'];
  }
  if (event.type === 'session.created' && event.code) return [SIGN_IN_METHODS[event.code] ?? event.code];
  return [event.code ?? '—'];
}

/** The workspace's audit log, newest first, a page at a time, optionally of one event type. */
export function auditView(api: Api, workspaceId: string): HTMLElement {
  const messages = messageArea();
  const names = namesOf(api, workspaceId);
  const type = h('select', { name: 'type' }, h('option', { value: '' }, 'all events'),
    ...Object.entries(EVENT_NAMES).map(([value, words]) => h('option', { value }, words)));
  type.value = Object.hasOwn(EVENT_NAMES, param('type') ?? '') ? param('type')! : '';
  const filters = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter events' }, field('Event type', type));
  const { table, body } = dataTable('audit', h('caption', {}, 'Newest first'), COLUMNS);
  const empty = h('p', { class: 'empty', hidden: true }, 'No events yet. Creating, rotating or revoking a key, every refused use of a known key, sign-ins and changes to the members are recorded here.');

  const pager = cursorPager({
    list: 'audit',
    query: () => type.value,
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
          body.replaceChildren(...result.events.map((event) => tableRow({ 'data-event-type': event.type },
            cell('Time', time(event.created_at)),
            cell('Event', h('span', { class: 'event' }, EVENT_NAMES[event.type] ?? event.type, h('code', { class: 'event-type' }, event.type))),
            keyCell(names, event.key_id),
            cell('Details', ...details(event)),
            cell('Actor', describeActor(event.actor, event.actor_profile_id)),
            cell('IP', event.ip ?? '—'))));
          pager.info.textContent = `Page ${pageIndex + 1}`;
          empty.hidden = result.events.length > 0;
          table.hidden = result.events.length === 0;
        },
      };
    },
  });
  const refilter = () => {
    setParams({ type: type.value });
    pager.restart();
  };
  type.addEventListener('change', refilter);
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    refilter();
  });

  pager.resume();
  return h('section', { 'aria-labelledby': 'audit-heading' }, h('h2', { id: 'audit-heading' }, 'Audit log'),
    filters, messages.element, empty, h('div', { class: 'table-wrap' }, table), pager.element);
}
