import { h, uid } from './dom.js';

/** Opens a modal <dialog> built by `build`; it is removed from the page when closed. */
export function openDialog(title: string, build: (close: () => void, dialog: HTMLDialogElement) => Node[]): HTMLDialogElement {
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId });
  const close = () => dialog.close();
  dialog.append(h('h2', { id: titleId }, title), ...build(close, dialog));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * Shows a key's plaintext once, with a copy button and a plain warning. Closing the dialog removes
 * it from the page, and nothing else holds on to the string.
 */
export function showPlaintextOnce(title: string, plaintext: string, onClose: () => void): void {
  let secret: string | null = plaintext;
  const dialog = openDialog(title, (close) => {
    const fieldId = uid('plaintext');
    const input = h('input', { id: fieldId, class: 'plaintext', readonly: true, autocomplete: 'off', spellcheck: 'false' });
    input.value = plaintext;
    const copied = h('span', { role: 'status', class: 'copied' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', async () => {
      if (!secret) return;
      try {
        await navigator.clipboard.writeText(secret);
        copied.textContent = 'Copied.';
      } catch {
        input.select();
        copied.textContent = 'Select the key and copy it with your keyboard.';
      }
    });
    const done = h('button', { type: 'button', class: 'primary' }, 'I have stored it — close');
    done.addEventListener('click', close);
    return [
      h('p', { class: 'warning' }, 'This is the only time this key is shown. Store it now in a secret manager: Cadreen keeps only a hash and cannot show it again.'),
      h('label', { for: fieldId }, 'API key'),
      h('div', { class: 'row' }, input, copy),
      copied,
      h('div', { class: 'actions' }, done),
    ];
  });
  dialog.addEventListener('close', () => {
    secret = null;
    onClose();
  });
}
