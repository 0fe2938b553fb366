import type { AddedMember, Api, Member, Role } from './api.js';
import { openDialog } from './dialogs.js';
import { h, uid } from './dom.js';
import { field, onSubmit } from './forms.js';
import { messageArea } from './messages.js';

/** A person as one line of text: name and email, or whichever there is. */
export function personText(member: Member): string {
  const { name, email } = member.profile;
  if (name && email && name !== email) return `${name} (${email})`;
  return email ?? name ?? member.profile.id;
}

function formActions(close: () => void, submit: HTMLButtonElement): HTMLElement {
  const cancel = h('button', { type: 'button' }, 'Cancel');
  cancel.addEventListener('click', close);
  return h('div', { class: 'actions' }, cancel, submit);
}

/**
 * Shows a new member's sign-in link with a copy button. It is a credential until used, so it
 * lives only in the dialog's field and is emptied and removed with the dialog.
 */
function showSignInLink(added: AddedMember, url: string, onClose: () => void): void {
  const fieldId = uid('sign-in-link');
  const noteId = uid('link-note');
  const link = h('textarea', { id: fieldId, class: 'plaintext', readonly: true, rows: '3', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': noteId });
  link.value = url;
  const dialog = openDialog(`${personText(added)} was added`, (close) => {
    const copied = h('p', { role: 'status', class: 'copied' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(link.value);
        copied.textContent = 'Copied to the clipboard.';
      } catch {
        link.select();
        copied.textContent = 'The browser did not allow copying: the link is selected, copy it with your keyboard.';
      }
    });
    const done = h('button', { type: 'button', class: 'primary' }, 'Done');
    done.addEventListener('click', close);
    return [
      h('p', { class: 'warning', id: noteId }, h('strong', {}, 'Send this link to them privately. '),
        'It signs them in once, and only within 15 minutes; anyone who has it can use it. When it has expired, remove and add them again for a new one.'),
      h('label', { for: fieldId }, 'Sign-in link'),
      h('div', { class: 'secret' }, link, copy),
      copied,
      h('div', { class: 'actions' }, done),
    ];
  });
  dialog.addEventListener('close', () => {
    link.value = '';
    onClose();
  });
}

/** Asks for an email, an optional name and a role; then shows the sign-in link when the server made one. */
export function inviteDialog(api: Api, workspaceId: string, onAdded: (added: AddedMember, withLink: boolean) => void): void {
  openDialog('Invite a member', (close) => {
    const messages = messageArea();
    const email = h('input', { name: 'email', type: 'email', required: true, maxlength: '320', autocomplete: 'off', spellcheck: 'false' });
    const name = h('input', { name: 'name', maxlength: '255', autocomplete: 'off' });
    const role = h('select', { name: 'role' },
      h('option', { value: 'member' }, 'Member — manages the workspace’s keys'),
      h('option', { value: 'owner' }, 'Owner — also manages its members'));
    const form = h('form', {},
      field('Email', email, 'They sign in as this email: with single sign-on when this server has it, otherwise with the link shown next.'),
      field('Name (optional)', name),
      field('Role', role),
      messages.element,
      formActions(close, h('button', { type: 'submit', class: 'primary' }, 'Invite')));
    onSubmit(form, messages, async () => {
      const added = await api.addMember(workspaceId, {
        email: email.value.trim(),
        role: role.value === 'owner' ? 'owner' : 'member',
        ...(name.value.trim() ? { name: name.value.trim() } : {}),
      });
      close();
      if (added.sign_in_url) showSignInLink(added, added.sign_in_url, () => onAdded(added, true));
      else onAdded(added, false);
    });
    return [form];
  });
}

/** Asks before a change that takes something away (removing a member, or your own owner role). */
export function confirmDialog(options: { title: string; text: string[]; action: string; run(): Promise<void>; onDone(): void }): void {
  openDialog(options.title, (close) => {
    const messages = messageArea();
    const form = h('form', {},
      ...options.text.map((line) => h('p', {}, line)),
      messages.element,
      formActions(close, h('button', { type: 'submit', class: 'danger' }, options.action)));
    onSubmit(form, messages, async () => {
      await options.run();
      close();
      options.onDone();
    });
    return [form];
  });
}

/** The other role. */
export const otherRole = (role: Role): Role => (role === 'owner' ? 'member' : 'owner');
