import type { Api, Workspace } from './api.js';
import { h, uid, when } from './dom.js';
import { onSubmit } from './forms.js';
import { messageArea } from './messages.js';

/** The admin's workspace picker, with workspace creation. */
export function workspacePicker(api: Api, onChoose: (workspace: Workspace) => void): HTMLElement {
  const messages = messageArea();
  const list = h('ul', { class: 'workspaces', 'aria-labelledby': 'pick-heading' });
  const nameId = uid('workspace-name');
  const name = h('input', { id: nameId, required: true, maxlength: '255', autocomplete: 'off' });
  const form = h('form', { class: 'new-workspace' },
    h('label', { for: nameId }, 'New workspace'),
    h('div', { class: 'row' }, name, h('button', { type: 'submit' }, 'Create workspace')));

  async function refresh(): Promise<void> {
    const workspaces = await api.listWorkspaces();
    list.replaceChildren(...(workspaces.length === 0
      ? [h('li', { class: 'empty' }, 'There is no workspace yet: create the first one below.')]
      : workspaces.map((workspace) => {
        const open = h('button', { type: 'button' }, workspace.name);
        open.addEventListener('click', () => onChoose(workspace));
        return h('li', {}, open, h('code', {}, workspace.id), h('span', { class: 'hint' }, `created ${when(workspace.created_at)}`));
      })));
  }
  onSubmit(form, messages, async () => {
    const created = await api.createWorkspace(name.value.trim());
    name.value = '';
    await refresh();
    messages.done(`Workspace “${created.name}” created.`);
  });
  refresh().catch(messages.error);
  return h('section', { 'aria-labelledby': 'pick-heading', class: 'card' },
    h('h2', { id: 'pick-heading' }, 'Choose a workspace'), messages.element, list, form);
}
