import { ApiError, explain } from './api.js';
import { h } from './dom.js';

/** A region that announces errors (role=alert) and confirmations (role=status) to screen readers. */
export function messageArea(): { element: HTMLElement; error(error: unknown): void; done(text: string): void; clear(): void } {
  const element = h('div', { class: 'messages' });
  const show = (node: HTMLElement) => element.replaceChildren(node);
  return {
    element,
    error(error: unknown) {
      const code = error instanceof ApiError ? error.code : 'internal_error';
      const detail = error instanceof ApiError ? error.message : String(error);
      show(h('p', { class: 'error', role: 'alert' }, h('code', {}, code), ' — ', explain(code), h('span', { class: 'detail' }, ` (${detail})`)));
    },
    done(text: string) {
      show(h('p', { class: 'done', role: 'status' }, text));
    },
    clear() {
      element.replaceChildren();
    },
  };
}
