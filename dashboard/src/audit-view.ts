import { Api } from './api.js';
import { messageArea } from './alerts.js';
import { h, when } from './dom.js';

/** The workspace's audit log, newest first, one page of 25 at a time. */
export function auditView(api: Api, workspaceId: string): HTMLElement {
  const messages = messageArea();
  const body = h('tbody', {});
  const table = h('table', { class: 'audit' }, h('caption', {}, 'Newest first'),
    h('thead', {}, h('tr', {}, ...['Time', 'Event', 'Key', 'Code', 'Actor', 'IP'].map((c) => h('th', { scope: 'col' }, c)))), body);
  const previous = h('button', { type: 'button' }, 'Newer');
  const next = h('button', { type: 'button' }, 'Older');
  const cursors: (string | undefined)[] = [undefined];
  let page = 0;
  let nextCursor: string | null = null;

  async function load(): Promise<void> {
    try {
      const result = await api.auditEvents(workspaceId, cursors[page]);
      nextCursor = result.next_cursor;
      const cell = (label: string, text: string) => h('td', { 'data-label': label }, text);
      body.replaceChildren(...result.events.map((event) => h('tr', {},
        cell('Time', when(event.created_at)),
        cell('Event', event.type),
        cell('Key', event.key_id ?? '—'),
        cell('Code', event.code ?? '—'),
        cell('Actor', event.actor_profile_id ?? '—'),
        cell('IP', event.ip ?? '—'))));
      previous.disabled = page === 0;
      next.disabled = !nextCursor;
    } catch (error) {
      messages.error(error);
    }
  }
  previous.addEventListener('click', () => {
    if (page > 0) {
      page--;
      void load();
    }
  });
  next.addEventListener('click', () => {
    if (nextCursor) {
      cursors[page + 1] = nextCursor;
      page++;
      void load();
    }
  });
  void load();
  return h('section', { 'aria-labelledby': 'audit-heading' }, h('h2', { id: 'audit-heading' }, 'Audit log'), messages.element,
    h('div', { class: 'table-wrap' }, table), h('nav', { class: 'pager', 'aria-label': 'Pages of events' }, previous, next));
}
