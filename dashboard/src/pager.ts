import { h } from './dom.js';
import { param, setParams, storeCursors, storedCursors } from './url-state.js';

/** What a page load hands back: the next page's cursor, and how to show the page once it is current. */
export interface LoadedPage {
  nextCursor: string | null;
  show(pageIndex: number): void;
}

export interface Pager {
  /** The Previous / page info / Next navigation. */
  element: HTMLElement;
  /** Text between the buttons, such as "Page 2 of 3". */
  info: HTMLElement;
  /** Loads the first page: needed whenever a filter or the order changes, since cursors are bound to their query. */
  restart(): void;
  /** Loads the page the address names (`page=N`), as on a reload; the first page when it names none. */
  resume(): void;
  /** Loads the current page again. */
  reload(): void;
}

/** Longest walk through pages to reach the page an address names when its cursors are not at hand. */
const MAX_WALK = 100;

/**
 * Cursor paging. The cursor of every page seen is kept, so Previous re-reads a page rather than
 * counting offsets. Only the latest load is shown: an answer that arrives after a newer request
 * was made is dropped. The page number goes in the address (`page`, from 1) and the cursors in
 * the history entry, keyed by `list` and the query they belong to (`query()`), so a reload
 * returns to the same page.
 */
export function cursorPager(options: {
  list: string;
  query(): string;
  label: string;
  previousText: string;
  nextText: string;
  load(cursor: string | undefined): Promise<LoadedPage>;
  onError(error: unknown): void;
}): Pager {
  const previous = h('button', { type: 'button' }, options.previousText);
  const next = h('button', { type: 'button' }, options.nextText);
  const info = h('span', { class: 'page-info', 'aria-live': 'polite' });
  previous.disabled = next.disabled = true;
  let cursors: (string | undefined)[] = [undefined];
  let index = 0;
  let nextCursor: string | null = null;
  let latest = 0;

  async function go(to: number, ticket = ++latest): Promise<void> {
    try {
      const page = await options.load(cursors[to]);
      if (ticket !== latest) return;
      index = to;
      nextCursor = page.nextCursor;
      cursors = cursors.slice(0, index + 1);
      if (nextCursor) cursors[index + 1] = nextCursor;
      page.show(index);
    } catch (error) {
      if (ticket === latest) options.onError(error);
      return;
    }
    setParams({ page: index > 0 ? String(index + 1) : undefined });
    storeCursors(options.list, options.query(), cursors);
    const focused = document.activeElement;
    previous.disabled = index === 0;
    next.disabled = !nextCursor;
    if (focused === next && next.disabled) previous.focus();
    if (focused === previous && previous.disabled) next.focus();
  }

  /** Finds the cursors up to page `target` by reading the pages before it (or as far as there are pages). */
  async function walkTo(target: number): Promise<void> {
    const ticket = ++latest;
    try {
      while (cursors.length <= target) {
        const page = await options.load(cursors[cursors.length - 1]);
        if (ticket !== latest) return;
        if (!page.nextCursor) break;
        cursors.push(page.nextCursor);
      }
    } catch (error) {
      if (ticket === latest) options.onError(error);
      return;
    }
    await go(Math.min(target, cursors.length - 1), ticket);
  }

  previous.addEventListener('click', () => {
    if (index > 0) void go(index - 1);
  });
  next.addEventListener('click', () => {
    if (nextCursor) void go(index + 1);
  });
  return {
    element: h('nav', { class: 'pager', 'aria-label': options.label }, previous, info, next),
    info,
    restart() {
      cursors = [undefined];
      void go(0);
    },
    resume() {
      const named = Number.parseInt(param('page') ?? '1', 10);
      const target = Number.isSafeInteger(named) && named > 1 ? Math.min(named - 1, MAX_WALK) : 0;
      const stored = storedCursors(options.list, options.query());
      if (stored && stored.length > target) {
        cursors = stored.slice(0, target + 1);
        void go(target);
        return;
      }
      cursors = [undefined];
      if (target === 0) void go(0);
      else void walkTo(target);
    },
    reload() {
      void go(index);
    },
  };
}
