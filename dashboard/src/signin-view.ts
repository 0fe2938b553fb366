import { Api } from './api.js';
import { h, uid } from './dom.js';
import { onSubmit } from './forms.js';
import { InputError, messageArea } from './messages.js';
import type { Session } from './session.js';

/** Why single sign-on came back without a session (`?sign_in_error=`), in sentences. */
const SIGN_IN_ERRORS: Record<string, string> = {
  provider_unavailable: 'The sign-in provider could not be reached, so you are not signed in. Try again in a moment; if it keeps happening, tell whoever runs this Cadreen.',
  bad_state: 'That sign-in attempt could not be matched to this browser: it may have taken too long, or started in another tab. Start again with “Sign in with SSO”.',
  unverified_email: 'Your sign-in provider has not verified your email address, so Cadreen cannot tell who you are. Verify it with the provider, then sign in again.',
  not_invited: 'There is no invitation for your email address here. Ask an owner of your workspace to add you as a member, then sign in again.',
  provider_error: 'The sign-in provider did not complete the sign-in (it refused or failed). Try again; if it keeps happening, tell whoever runs this Cadreen.',
};

/** A sentence for a `sign_in_error` reason, including one this page does not know yet. */
export function signInErrorSentence(reason: string): string {
  return SIGN_IN_ERRORS[reason] ?? `Signing in did not work (${reason}). Try again.`;
}

export interface SignInOptions {
  /** Whether the server offers single sign-on. */
  sso: boolean;
  /** Called with a token session once a pasted key or admin token has been checked. */
  onTokenSignedIn(session: Session): Promise<void>;
  /** Why the previous session ended or the last sign-in failed, if it did: an error, or a sentence. */
  notice?: unknown;
  /** Something good to say (such as “You are signed out.”). */
  done?: string;
}

/**
 * The sign-in page. People sign in as themselves: with single sign-on when the server has a
 * provider, or with a single-use link from `cadreen init` or an owner's invitation. Pasting an
 * API key (its workspace is found with the health route) or the admin token is kept as a
 * secondary way in, for operators and automation.
 */
export function signInView(options: SignInOptions): { element: HTMLElement; focus: HTMLElement } {
  const messages = messageArea();
  const keyMessages = messageArea();
  const id = uid('token');
  const hintId = uid('token-hint');
  const input = h('input', { id, type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': hintId });

  const sso = options.sso ? h('button', { type: 'button', class: 'primary sso' }, 'Sign in with SSO') : null;
  // The provider's login is a page of its own: leave the dashboard for the server's login route.
  sso?.addEventListener('click', () => location.assign('/auth/oidc/login'));

  const keyForm = h('form', { class: 'key-signin', 'aria-labelledby': `${id}-heading` },
    h('h3', { id: `${id}-heading` }, 'Use an API key instead'),
    h('label', { for: id }, 'API key or admin token'), input,
    h('p', { class: 'hint', id: hintId }, 'A key (sk_cadreen_…) opens its own workspace; the deployment’s admin token opens every workspace. It is kept only in this browser tab and sent only to this server.'),
    keyMessages.element,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')));
  onSubmit(keyForm, keyMessages, async () => {
    const token = input.value.trim();
    const health = await new Api({ token }).health();
    input.value = '';
    await options.onTokenSignedIn({ token, admin: health.workspace_id === null, workspaceId: health.workspace_id, keyId: health.key_id });
  });

  const element = h('div', { class: 'card signin' },
    h('h1', {}, 'Cadreen'),
    h('h2', {}, 'Sign in to manage API keys'),
    messages.element,
    sso,
    h('div', { class: 'links-explained' },
      h('p', {}, options.sso ? 'Or open a sign-in link. ' : 'Sign in by opening your sign-in link in this browser. ',
        'The first owner gets one from ', h('code', {}, 'cadreen init --email you@example.com'),
        '; everyone else gets one when an owner invites them. Each link works once, within 15 minutes — ask an owner for a new one if yours has expired.')),
    h('hr', {}),
    keyForm);

  // One alert at a time: trying a key replaces what the page said on arrival.
  keyForm.addEventListener('submit', () => messages.clear());
  if (typeof options.notice === 'string') messages.error(new InputError(options.notice));
  else if (options.notice !== undefined) messages.error(options.notice);
  else if (options.done) messages.done(options.done);
  return { element, focus: sso ?? input };
}
