import { h, uid } from './dom.js';

/** The control outside any dialog that opened the current dialog (or the dialogs that followed it). */
let opener: HTMLElement | null = null;

/**
 * Opens a modal <dialog> built by `build`; it is removed from the page when closed. When the last
 * dialog closes, the focus goes back to the control that opened the first one, so a dialog that
 * leads to another (create, then the plaintext) still returns the keyboard user where they were.
 */
export function openDialog(title: string, build: (close: () => void) => Node[]): HTMLDialogElement {
  const active = document.activeElement;
  if (active instanceof HTMLElement && !active.closest('dialog')) opener = active;
  const returnTo = opener;
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId });
  const close = () => dialog.close();
  dialog.append(h('h2', { id: titleId }, title), ...build(close));
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (!document.querySelector('dialog[open]') && returnTo?.isConnected) returnTo.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * Shows a key's plaintext once, with a copy button and a plain warning. The string lives only in
 * the dialog's field: closing the dialog empties the field and removes it from the page, so
 * nothing on the page still refers to it.
 */
export function showPlaintextOnce(title: string, plaintext: string, onClose: () => void): void {
  const fieldId = uid('plaintext');
  const warningId = uid('warning');
  const secret = h('textarea', { id: fieldId, class: 'plaintext', readonly: true, rows: '2', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': warningId });
  secret.value = plaintext;
  const dialog = openDialog(title, (close) => {
    const copied = h('p', { role: 'status', class: 'copied' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(secret.value);
        copied.textContent = 'Copied to the clipboard.';
      } catch {
        secret.select();
        copied.textContent = 'The browser did not allow copying: the key is selected, copy it with your keyboard.';
      }
    });
    const done = h('button', { type: 'button', class: 'primary' }, 'I have stored it — close');
    done.addEventListener('click', close);
    return [
      h('p', { class: 'warning', id: warningId }, h('strong', {}, 'Copy this key now. '),
        'This is the only time it is shown: Cadreen keeps only a hash and cannot show it again. Store it in a secret manager.'),
      h('label', { for: fieldId }, 'API key'),
      h('div', { class: 'secret' }, secret, copy),
      copied,
      h('div', { class: 'actions' }, done),
    ];
  });
  dialog.addEventListener('close', () => {
    secret.value = '';
    onClose();
  });
}
