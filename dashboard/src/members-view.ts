import type { Api, Member, Role } from './api.js';
import { h, time } from './dom.js';
import { confirmDialog, inviteDialog, otherRole, personText } from './member-dialogs.js';
import { messageArea } from './messages.js';
import { cursorPager } from './pager.js';
import { cell, dataTable, rowHeader, tableRow } from './table.js';

const PAGE_SIZE = 50;

export interface MembersViewOptions {
  /** Whether the viewer may invite, change roles and remove (an owner, or the admin token). */
  manage: boolean;
  /** The viewer's own profile, marked in the list (null for the admin token). */
  selfId: string | null;
  /** Told when the viewer changed their own place in the workspace (their role, or left it). */
  onSelfChanged(): void;
}

/**
 * The people of a workspace, oldest membership first. Owners (and the admin token) invite by
 * email, change roles and remove people; members see the list read-only, so they know whom to ask.
 */
export function membersView(api: Api, workspaceId: string, options: MembersViewOptions): HTMLElement {
  const messages = messageArea();
  const columns = options.manage ? ['Person', 'Role', 'Joined', 'Actions'] : ['Person', 'Role', 'Joined'];
  const caption = h('caption', {}, 'Oldest first');
  const { table, body } = dataTable('members', caption, columns);
  const inviteButton = options.manage ? h('button', { type: 'button', class: 'primary' }, 'Invite member') : null;

  const pager = cursorPager({
    list: 'members',
    query: () => '',
    label: 'Pages of members',
    previousText: 'Previous page',
    nextText: 'Next page',
    onError: messages.error,
    async load(cursor) {
      const result = await api.listMembers(workspaceId, { limit: PAGE_SIZE, cursor });
      return {
        nextCursor: result.next_cursor,
        show(pageIndex) {
          messages.clear(true);
          body.replaceChildren(...result.members.map(row));
          pager.info.textContent = `Page ${pageIndex + 1}`;
        },
      };
    },
  });

  function changeRole(member: Member, role: Role): void {
    const self = member.profile.id === options.selfId;
    const run = () => api.changeRole(workspaceId, member.profile.id, role).then(() => undefined);
    const done = () => {
      if (self) return options.onSelfChanged();
      messages.done(`${personText(member)} is now ${role === 'owner' ? 'an owner' : 'a member'}.`);
      pager.reload();
    };
    if (self && role === 'member') {
      confirmDialog({
        title: 'Stop being an owner?',
        text: ['You will keep managing keys, but no longer the members of this workspace. Another owner can make you an owner again.'],
        action: 'Make me a member',
        run,
        onDone: done,
      });
      return;
    }
    run().then(done, messages.error);
  }

  function remove(member: Member): void {
    const self = member.profile.id === options.selfId;
    confirmDialog({
      title: self ? 'Leave this workspace?' : `Remove ${personText(member)}?`,
      text: self
        ? ['You will no longer see or manage this workspace. An owner can add you again.']
        : [`${personText(member)} can no longer use this workspace, from their next request on.`, 'The keys they created keep working.'],
      action: self ? 'Leave' : 'Remove',
      run: () => api.removeMember(workspaceId, member.profile.id),
      onDone: () => {
        if (self) return options.onSelfChanged();
        messages.done(`${personText(member)} was removed.`);
        pager.reload();
      },
    });
  }

  function row(member: Member): HTMLTableRowElement {
    const { name, email } = member.profile;
    const self = member.profile.id === options.selfId;
    const person = h('span', {}, name && email && name !== email ? name : (email ?? name ?? member.profile.id),
      name && email && name !== email ? h('span', { class: 'email' }, email) : null,
      self ? h('span', { class: 'you' }, 'you') : null);
    const cells = [
      rowHeader('Person', person),
      cell('Role', h('span', { class: `badge badge-${member.role}` }, member.role)),
      cell('Joined', time(member.created_at)),
    ];
    if (options.manage) {
      const to = otherRole(member.role);
      const who = personText(member);
      const roleButton = h('button', { type: 'button', 'aria-label': `Make ${who} ${to === 'owner' ? 'an owner' : 'a member'}` }, to === 'owner' ? 'Make owner' : 'Make member');
      const removeButton = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${who}` }, self ? 'Leave' : 'Remove');
      roleButton.addEventListener('click', () => changeRole(member, to));
      removeButton.addEventListener('click', () => remove(member));
      cells.push(cell('Actions', h('div', { class: 'row-actions' }, roleButton, removeButton)));
    }
    return tableRow({ 'data-profile-id': member.profile.id }, ...cells);
  }

  inviteButton?.addEventListener('click', () => inviteDialog(api, workspaceId, (added, withLink) => {
    messages.done(withLink
      ? `${personText(added)} was added as ${added.role}.`
      : `${personText(added)} was added as ${added.role}: they sign in with single sign-on as ${added.profile.email ?? 'their email'}.`);
    pager.restart();
  }));

  pager.resume();
  return h('section', { 'aria-labelledby': 'members-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'members-heading' }, 'Members'), inviteButton),
    options.manage ? null : h('p', { class: 'hint' }, 'Only the workspace’s owners can invite, change roles or remove people.'),
    messages.element, h('div', { class: 'table-wrap' }, table), pager.element);
}
