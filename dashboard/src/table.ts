import { h } from './dom.js';

/**
 * Tables with explicit ARIA roles: narrow screens lay rows out as cards by changing `display`,
 * which makes browsers drop the native table semantics that screen readers rely on.
 * Each cell carries its column name in `data-label`, which the card layout shows.
 */
export function dataTable(className: string, caption: HTMLElement, columns: string[]): { table: HTMLTableElement; headers: HTMLElement[]; body: HTMLElement } {
  caption.setAttribute('role', 'caption');
  const headers = columns.map((column) => h('th', { scope: 'col', role: 'columnheader' }, column));
  const body = h('tbody', { role: 'rowgroup' });
  const table = h('table', { class: className, role: 'table' }, caption,
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ...headers)), body);
  return { table, headers, body };
}

/** A table row; `attributes` for data attributes. */
export function tableRow(attributes: Record<string, string>, ...cells: HTMLElement[]): HTMLTableRowElement {
  return h('tr', { role: 'row', ...attributes }, ...cells);
}

/** A data cell of the column `column`. */
export function cell(column: string, ...content: (Node | string)[]): HTMLTableCellElement {
  return h('td', { role: 'cell', 'data-label': column }, ...content);
}

/** The cell that names its row. */
export function rowHeader(column: string, ...content: (Node | string)[]): HTMLTableCellElement {
  return h('th', { scope: 'row', role: 'rowheader', 'data-label': column }, ...content);
}
