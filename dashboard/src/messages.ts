import type { ErrorCode } from '@cadreen/sdk';
import { ApiError, type ApiErrorCode } from './api.js';
import { h } from './dom.js';

/** A problem with what was typed, found before anything is sent. */
export class InputError extends Error {}

/** One sentence per code: a code the SDK knows but this table lacks does not compile. */
const SENTENCES: Record<ErrorCode | 'network_error', string> = {
  auth_missing: 'Sign in first.',
  auth_invalid: 'This key is not valid: it may be mistyped, unknown or expired.',
  auth_revoked: 'This key has been revoked. Sign in with another key.',
  auth_rotating: 'This key was rotated. Sign in with the key that replaced it.',
  auth_forbidden: 'That is not allowed here: a key acts only in its own workspace, a person only in the workspaces they are a member of, and only owners manage members.',
  rate_limited: 'Too many requests for this key, person or workspace. Wait a moment and try again.',
  invalid_request: 'Something in the request is not right; nothing was changed.',
  not_found: 'That no longer exists in this workspace.',
  conflict: 'That change is not possible as things are: the key’s current state does not allow it, the person is already a member, or the workspace would be left without an owner.',
  payload_too_large: 'That is more text than the server accepts at once.',
  service_unavailable: 'Cadreen cannot use its database right now. Try again shortly.',
  internal_error: 'Something went wrong on the server. Try again; if it persists, give the request id to your operator.',
  quota_exceeded: 'This workspace already holds as many keys as it may. Revoke keys it no longer needs, or ask your operator to raise the limit.',
  method_not_allowed: 'The server does not accept that kind of request at this address.',
  request_timeout: 'The request did not reach the server in time. Check your connection and try again.',
  uri_too_long: 'That address is longer than the server accepts; shorten the search or the name.',
  headers_too_large: 'The request carried more header data than the server accepts; signing in again may help.',
  network_error: 'The Cadreen server could not be reached. Check your connection and try again.',
};

/** A sentence for people about an error code. */
function explain(code: ApiErrorCode): string {
  return Object.hasOwn(SENTENCES, code) ? SENTENCES[code as keyof typeof SENTENCES] : 'The request failed.';
}

export interface MessageArea {
  element: HTMLElement;
  /** Shows an error: an API error's code, a sentence, field problems and the server's message. */
  error(error: unknown): void;
  /** Confirms that something was done. */
  done(text: string): void;
  /** Removes what is shown, or only an error when `onlyErrors` is set. */
  clear(onlyErrors?: boolean): void;
}

function describe(error: unknown): HTMLElement {
  if (error instanceof ApiError) {
    const request = error.requestId ? ` Request ${error.requestId}.` : '';
    return h('div', { class: 'error', role: 'alert' },
      h('p', {}, h('code', {}, error.code), ' — ', explain(error.code)),
      error.details.length > 0 ? h('ul', {}, ...error.details.map((d) => h('li', {}, h('code', {}, d.field), `: ${d.message}`))) : null,
      h('p', { class: 'detail' }, `Server says: ${error.message}.${request}`));
  }
  const text = error instanceof InputError ? error.message : `Unexpected error: ${String(error)}`;
  return h('div', { class: 'error', role: 'alert' }, h('p', {}, text));
}

/** A region that announces errors (role=alert) and confirmations (role=status) to screen readers. */
export function messageArea(): MessageArea {
  const element = h('div', { class: 'messages' });
  return {
    element,
    error: (error) => element.replaceChildren(describe(error)),
    done: (text) => element.replaceChildren(h('p', { class: 'done', role: 'status' }, text)),
    clear(onlyErrors = false) {
      if (!onlyErrors || element.querySelector('.error')) element.replaceChildren();
    },
  };
}
