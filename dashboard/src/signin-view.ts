import { Api } from './api.js';
import { h, uid } from './dom.js';
import { onSubmit } from './forms.js';
import { messageArea } from './messages.js';
import type { Session } from './session.js';

/**
 * The sign-in form: paste an API key (its workspace is found with the health route) or the
 * admin token. `notice` is the error that ended the previous session, if any.
 */
export function signInView(onSignedIn: (session: Session) => Promise<void>, notice?: unknown): { element: HTMLElement; input: HTMLInputElement } {
  const messages = messageArea();
  const id = uid('token');
  const hintId = uid('token-hint');
  const input = h('input', { id, type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': hintId });
  const form = h('form', { class: 'card signin' },
    h('h1', {}, 'Cadreen'),
    h('h2', {}, 'Sign in to manage API keys'),
    h('label', { for: id }, 'API key or admin token'), input,
    h('p', { class: 'hint', id: hintId }, 'A key (sk_cadreen_…) opens its own workspace; the deployment’s admin token opens every workspace. It is kept only in this browser tab and sent only to this server.'),
    messages.element,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  onSubmit(form, messages, async () => {
    const token = input.value.trim();
    const health = await new Api(token).health();
    input.value = '';
    await onSignedIn({ token, admin: health.workspace_id === null, workspaceId: health.workspace_id, keyId: health.key_id });
  });
  if (notice) messages.error(notice);
  return { element: form, input };
}
