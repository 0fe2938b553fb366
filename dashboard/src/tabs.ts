import { h, uid } from './dom.js';

export interface Tab {
  /** The tab's name in the address (`tab=…`). */
  name: string;
  label: string;
  render(): HTMLElement;
}

/**
 * Tabs after the WAI-ARIA pattern: one tab in the Tab order, arrow keys, Home and End move between
 * tabs, and the panel shows the selected one (rebuilt, so it always shows fresh data). The tab
 * named `initial` is shown first (the first tab when none is named or it is unknown); `onSelect`
 * is told when the person chooses another, before it renders.
 */
export function tabs(label: string, entries: Tab[], initial: string | undefined, onSelect: (name: string) => void): HTMLElement {
  const panel = h('div', { role: 'tabpanel', id: uid('tabpanel'), class: 'panel', tabindex: '0' });
  const buttons = entries.map((entry) => {
    const button = h('button', { type: 'button', role: 'tab', id: uid('tab'), 'aria-controls': panel.id, 'data-tab': entry.name }, entry.label);
    button.addEventListener('click', () => select(buttons.indexOf(button)));
    return button;
  });
  let current = -1;
  function select(index: number, focus = false, chosen = true): void {
    if (chosen && index !== current) onSelect(entries[index]!.name);
    current = index;
    buttons.forEach((button, i) => {
      button.setAttribute('aria-selected', String(i === index));
      button.tabIndex = i === index ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', buttons[index]!.id);
    panel.replaceChildren(entries[index]!.render());
    if (focus) buttons[index]!.focus();
  }
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': label }, ...buttons);
  list.addEventListener('keydown', (event) => {
    const last = buttons.length - 1;
    const to = { ArrowRight: current === last ? 0 : current + 1, ArrowLeft: current === 0 ? last : current - 1, Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    select(to, true);
  });
  select(Math.max(0, entries.findIndex((entry) => entry.name === initial)), false, false);
  return h('div', {}, list, panel);
}
