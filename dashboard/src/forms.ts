import { h, uid } from './dom.js';
import { InputError, type MessageArea } from './messages.js';

/** A labelled form control, with an optional hint tied to it by aria-describedby. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = uid('field');
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

/** Parses `key=value` lines into labels; blank lines are skipped, anything else is an InputError. */
export function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf('=');
    if (at <= 0) throw new InputError(`Labels: “${line}” is not key=value. Write one label per line, like env=production.`);
    labels[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/**
 * Runs `action` when the form is submitted, once at a time; what it throws is shown in `messages`.
 * Buttons stay enabled (a disabled button would drop the keyboard focus); a second submit while
 * the first is pending is ignored.
 */
export function onSubmit(form: HTMLFormElement, messages: MessageArea, action: () => Promise<void>): void {
  let pending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (pending) return;
    pending = true;
    form.setAttribute('aria-busy', 'true');
    messages.clear();
    try {
      await action();
    } catch (error) {
      messages.error(error);
    } finally {
      pending = false;
      form.removeAttribute('aria-busy');
    }
  });
}
