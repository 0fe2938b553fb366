import { h } from './dom.js';

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
  /** Loads the current page again. */
  reload(): void;
}

/**
 * Cursor paging. The cursor of every page seen is kept, so Previous re-reads a page rather than
 * counting offsets. Only the latest load is shown: an answer that arrives after a newer request
 * was made is dropped.
 */
export function cursorPager(options: {
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

  async function go(to: number): Promise<void> {
    const ticket = ++latest;
    try {
      const page = await options.load(cursors[to]);
      if (ticket !== latest) return;
      index = to;
      nextCursor = page.nextCursor;
      page.show(index);
    } catch (error) {
      if (ticket === latest) options.onError(error);
      return;
    }
    const focused = document.activeElement;
    previous.disabled = index === 0;
    next.disabled = !nextCursor;
    if (focused === next && next.disabled) previous.focus();
    if (focused === previous && previous.disabled) next.focus();
  }

  previous.addEventListener('click', () => {
    if (index > 0) void go(index - 1);
  });
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors[index + 1] = nextCursor;
    void go(index + 1);
  });
  return {
    element: h('nav', { class: 'pager', 'aria-label': options.label }, previous, info, next),
    info,
    restart() {
      cursors = [undefined];
      void go(0);
    },
    reload() {
      void go(index);
    },
  };
}
