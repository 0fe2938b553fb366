/**
 * What the page shows, kept in the address's query (workspace, tab, filters, page) so that a
 * reload or a copied address opens the same view. Changes replace the history entry rather than
 * adding one: the Back button leaves the dashboard instead of stepping through every filter.
 * The cursors of the pages seen are kept in the history entry's state (not the address), so a
 * reload goes straight back to the page it was on.
 */

/** The parameters that belong to one tab: they are dropped when another tab is chosen. */
const TAB_PARAMETERS = ['prefix', 'status', 'order', 'type', 'page'];

/** The current value of a query parameter, or undefined. */
export function param(name: string): string | undefined {
  return new URLSearchParams(location.search).get(name) ?? undefined;
}

/** Sets (or, for undefined and '', removes) query parameters, keeping the history entry's state. */
export function setParams(changes: Record<string, string | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined || value === '') params.delete(name);
    else params.set(name, value);
  }
  const query = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}`);
}

/** Chooses a tab: its name in the address, the previous tab's filters and page dropped. */
export function setTab(tab: string): void {
  setParams({ tab, ...Object.fromEntries(TAB_PARAMETERS.map((name) => [name, undefined])) });
}

/** Forgets everything but `keep` (for a workspace switch or a sign-out). */
export function resetParams(keep: Record<string, string | undefined> = {}): void {
  history.replaceState(null, '', location.pathname);
  setParams(keep);
}

interface StoredCursors {
  query: string;
  cursors: (string | null)[];
}

/** The cursors stored for a list shown with `query`, or undefined when none were (or for another query). */
export function storedCursors(list: string, query: string): (string | undefined)[] | undefined {
  const stored = (history.state as Record<string, StoredCursors> | null)?.[list];
  if (!stored || stored.query !== query || !Array.isArray(stored.cursors)) return undefined;
  return stored.cursors.map((cursor) => (typeof cursor === 'string' ? cursor : undefined));
}

/** Keeps the cursors of a list's pages for `query` in the history entry. */
export function storeCursors(list: string, query: string, cursors: (string | undefined)[]): void {
  const state = { ...((history.state as object | null) ?? {}), [list]: { query, cursors: cursors.map((c) => c ?? null) } };
  history.replaceState(state, '', location.href);
}
