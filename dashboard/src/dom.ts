/** Small helpers to build the page with the DOM API (no innerHTML with data, so nothing can inject markup). */

type Attributes = Record<string, string | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`true` sets an empty one, `false`/`undefined` none) and children as text or nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** A date and time for people, in their locale; '—' for none. */
export function when(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A `<time>` element for a moment: the day, then the time of day (styled to wrap between them); `none` when there is no moment. */
export function time(iso: string | null, none = '—'): HTMLElement | string {
  if (!iso) return none;
  const moment = new Date(iso);
  return h('time', { datetime: iso, class: 'moment' },
    h('span', {}, moment.toLocaleDateString(undefined, { dateStyle: 'medium' })), ' ',
    h('span', { class: 'clock' }, moment.toLocaleTimeString(undefined, { timeStyle: 'short' })));
}

let ids = 0;
/** A unique element id, for label/aria references. */
export const uid = (prefix: string): string => `${prefix}-${++ids}`;
