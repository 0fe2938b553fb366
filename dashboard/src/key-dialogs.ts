import type { Api, Key } from './api.js';
import { openDialog, showPlaintextOnce } from './dialogs.js';
import { h } from './dom.js';
import { field, onSubmit, parseLabels } from './forms.js';
import { messageArea } from './messages.js';

const GRACE_PERIODS: [string, number][] = [
  ['None — the old key stops working at once', 0],
  ['1 hour', 3600],
  ['24 hours', 86_400],
  ['7 days', 604_800],
];

/** The value of a datetime-local field for a moment, in the browser's time zone. */
function localDateTime(date: Date): string {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

function formActions(close: () => void, submit: HTMLButtonElement): HTMLElement {
  const cancel = h('button', { type: 'button' }, 'Cancel');
  cancel.addEventListener('click', close);
  return h('div', { class: 'actions' }, cancel, submit);
}

/** Asks for a new key's name, description, labels and expiry, then shows its plaintext once. */
export function createKeyDialog(api: Api, workspaceId: string, onCreated: () => void): void {
  openDialog('Create an API key', (close) => {
    const messages = messageArea();
    const name = h('input', { name: 'name', required: true, maxlength: '255', autocomplete: 'off' });
    const description = h('input', { name: 'description', maxlength: '1024', autocomplete: 'off' });
    const labels = h('textarea', { name: 'labels', rows: '3', spellcheck: 'false' });
    const expires = h('input', { name: 'expires', type: 'datetime-local', min: localDateTime(new Date()) });
    const form = h('form', {},
      field('Name', name, 'Say where the key is used, e.g. billing-worker'),
      field('Description (optional)', description),
      field('Labels (optional)', labels, 'One key=value per line, e.g. env=production'),
      field('Expires (optional)', expires, 'Your local time. Leave empty for a key that does not expire.'),
      messages.element,
      formActions(close, h('button', { type: 'submit', class: 'primary' }, 'Create')));
    onSubmit(form, messages, async () => {
      const parsedLabels = parseLabels(labels.value);
      const issued = await api.createKey(workspaceId, {
        name: name.value.trim(),
        ...(description.value.trim() ? { description: description.value.trim() } : {}),
        ...(parsedLabels ? { labels: parsedLabels } : {}),
        ...(expires.value ? { expires_at: new Date(expires.value).toISOString() } : {}),
      });
      close();
      showPlaintextOnce(`Key “${issued.name}” created`, issued.plaintext, onCreated);
    });
    return [form];
  });
}

/** Asks for a grace period, rotates the key, then shows the new key's plaintext once. */
export function rotateKeyDialog(api: Api, workspaceId: string, key: Key, signedInWithIt: boolean, onRotated: () => void): void {
  openDialog(`Rotate “${key.name}”`, (close) => {
    const messages = messageArea();
    const grace = h('select', { name: 'grace' }, ...GRACE_PERIODS.map(([label, seconds]) => h('option', { value: String(seconds) }, label)));
    const form = h('form', {},
      h('p', {}, 'A new key with the same name, description and labels replaces ', h('code', {}, `${key.start}…`),
        '. During the grace period the old key keeps working, so you can deploy the new one first.'),
      signedInWithIt ? h('p', { class: 'warning' }, 'You are signed in with this key: when the old key stops working, sign in with the new one.') : null,
      field('Grace period', grace), messages.element,
      formActions(close, h('button', { type: 'submit', class: 'primary' }, 'Rotate')));
    onSubmit(form, messages, async () => {
      const issued = await api.rotateKey(workspaceId, key.id, Number(grace.value));
      close();
      showPlaintextOnce(`New key for “${issued.name}”`, issued.plaintext, onRotated);
    });
    return [form];
  });
}

/** Revokes a key once its name has been typed, as a guard against revoking the wrong one. */
export function revokeKeyDialog(api: Api, workspaceId: string, key: Key, signedInWithIt: boolean, onRevoked: () => void): void {
  openDialog(`Revoke “${key.name}”`, (close) => {
    const messages = messageArea();
    const confirmation = h('input', { name: 'confirm', autocomplete: 'off', spellcheck: 'false' });
    const submit = h('button', { type: 'submit', class: 'danger' }, 'Revoke');
    submit.disabled = true;
    confirmation.addEventListener('input', () => (submit.disabled = confirmation.value !== key.name));
    const form = h('form', {},
      h('p', {}, 'Every request with ', h('code', {}, `${key.start}…`), ' will be refused at once. This cannot be undone.'),
      signedInWithIt ? h('p', { class: 'warning' }, 'You are signed in with this key: revoking it signs you out.') : null,
      field(`Type the key’s name (${key.name}) to confirm`, confirmation), messages.element,
      formActions(close, submit));
    onSubmit(form, messages, async () => {
      if (confirmation.value !== key.name) return;
      await api.revokeKey(workspaceId, key.id);
      close();
      onRevoked();
    });
    return [form];
  });
}
