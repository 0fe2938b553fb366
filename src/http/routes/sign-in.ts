import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Cadreen } from '../../core/cadreen.js';
import type { SignInRefusal } from '../../core/people.js';
import { SESSION_ABSOLUTE_MS } from '../../core/sessions.js';
import { cookie, openCookieValue, readCookie, sealCookieValue, SESSION_COOKIE } from '../cookies.js';
import { sendError } from '../errors.js';
import { OidcClient, OidcFailure, type OidcSettings, type OidcTransaction } from '../oidc.js';

/** The cookie that carries an OpenID sign-in between the redirect and the provider's return. */
const OIDC_COOKIE = 'cadreen_oidc';
const OIDC_COOKIE_PATH = '/auth/oidc';
/** How long a person has to come back from the provider. */
const OIDC_TRANSACTION_MS = 10 * 60_000;

const LINK_PAGES: Record<'link_used' | 'link_expired' | 'link_unknown', { title: string; text: string }> = {
  link_used: { title: 'This sign-in link was already used', text: 'A sign-in link works once. Ask an owner of your workspace for a new one, or run cadreen members add again.' },
  link_expired: { title: 'This sign-in link has expired', text: 'A sign-in link works for 15 minutes. Ask an owner of your workspace for a new one.' },
  link_unknown: { title: 'This sign-in link is not valid', text: 'Check that the whole link was copied, or ask for a new one.' },
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    // same-origin, not no-referrer: under no-referrer the browser sends `Origin: null` with the form, which the same-origin check refuses.
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)} · Cadreen</title>` +
        `<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}button{font:inherit;padding:.5rem 1rem}</style></head>` +
        `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

/**
 * How people sign in and out (DESIGN §9): browser routes, not part of the
 * API description: single-use links, an OpenID
 * provider when configured, and sign-out. A session lives in the
 * `cadreen_session` cookie; the answers that set it are never cached.
 */
export function signInRoutes(app: FastifyInstance, cadreen: Cadreen, options: { publicUrl: URL; oidc?: OidcSettings }): void {
  const secure = options.publicUrl.protocol === 'https:';
  const origin = options.publicUrl.origin;
  const base = options.publicUrl.href.replace(/\/+$/, '');
  const oidc = options.oidc ? new OidcClient(options.oidc, `${base}/auth/oidc/callback`) : undefined;
  const dashboard = `${base}/dashboard/`;

  /** Sets the session cookie (Fastify adds it to any set before) and goes to the dashboard. */
  const signedIn = (reply: FastifyReply, token: string, status: 302 | 303) =>
    reply
      .header('set-cookie', cookie(SESSION_COOKIE, token, { secure, maxAgeSeconds: SESSION_ABSOLUTE_MS / 1000 }))
      .header('cache-control', 'no-store')
      .redirect(dashboard, status);
  const backToSignIn = (reply: FastifyReply, reason: SignInRefusal) =>
    reply.header('cache-control', 'no-store').redirect(`${dashboard}?sign_in_error=${reason}`, 302);
  const sameOrigin = (request: FastifyRequest) => request.headers.origin === origin;

  app.get('/auth/methods', {
    handler: async () => ({ sso: oidc !== undefined }),
  });

  app.get<{ Querystring: { token?: string } }>('/auth/link', {
    // A page that asks to continue, so a mail scanner that opens the link does not spend it.
    handler: (request, reply) => {
      const token = typeof request.query.token === 'string' && request.query.token.length <= 128 ? request.query.token : '';
      if (!token) return page(reply, 400, LINK_PAGES.link_unknown.title, `<p>${LINK_PAGES.link_unknown.text}</p>`);
      return page(
        reply,
        200,
        'Sign in to Cadreen',
        `<form method="post" action="/auth/link"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Continue</button></form>` +
          '<p>This link signs you in once and works for 15 minutes.</p>',
      );
    },
  });

  app.post<{ Body: { token?: string } }>('/auth/link', {
    handler: async (request, reply) => {
      if (!sameOrigin(request)) return sendError(reply, request, 'auth_forbidden', `sign in from ${origin}`);
      const token = typeof request.body?.token === 'string' ? request.body.token : '';
      const result = token ? await cadreen.people.signInWithLink(token, request.ip) : ({ ok: false, reason: 'link_unknown' } as const);
      if (result.ok) return signedIn(reply, result.token, 303);
      const text = LINK_PAGES[result.reason as keyof typeof LINK_PAGES] ?? LINK_PAGES.link_unknown;
      return page(reply, 400, text.title, `<p>${text.text}</p><p><a href="/dashboard/">Go to the sign-in page</a></p>`);
    },
  });

  app.post('/auth/sign-out', {
    handler: async (request, reply) => {
      if (!sameOrigin(request)) return sendError(reply, request, 'auth_forbidden', `sign out from ${origin}`);
      const token = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (token) await cadreen.sessions.end(token, request.ip);
      return reply.header('set-cookie', cookie(SESSION_COOKIE, '', { secure, maxAgeSeconds: 0 })).header('cache-control', 'no-store').code(204).send();
    },
  });

  app.get('/auth/oidc/login', {
    handler: async (request, reply) => {
      if (!oidc) return sendError(reply, request, 'not_found', 'no OpenID provider is configured here');
      try {
        const { url, transaction } = await oidc.start();
        const value = sealCookieValue(cadreen.cookieSecret, { ...transaction, exp: Date.now() + OIDC_TRANSACTION_MS });
        reply.header('set-cookie', cookie(OIDC_COOKIE, value, { secure, path: OIDC_COOKIE_PATH, maxAgeSeconds: OIDC_TRANSACTION_MS / 1000 }));
        return reply.header('cache-control', 'no-store').redirect(url, 302);
      } catch (error) {
        if (!(error instanceof OidcFailure)) throw error;
        await cadreen.people.refuse(error.reason, request.ip);
        return backToSignIn(reply, error.reason);
      }
    },
  });

  app.get('/auth/oidc/callback', {
    handler: async (request, reply) => {
      if (!oidc) return sendError(reply, request, 'not_found', 'no OpenID provider is configured here');
      reply.header('set-cookie', cookie(OIDC_COOKIE, '', { secure, path: OIDC_COOKIE_PATH, maxAgeSeconds: 0 }));
      const sealed = openCookieValue(cadreen.cookieSecret, readCookie(request.headers.cookie, OIDC_COOKIE)) as (OidcTransaction & { exp?: number }) | undefined;
      if (!sealed || typeof sealed.exp !== 'number' || sealed.exp < Date.now()) {
        await cadreen.people.refuse('bad_state', request.ip);
        return backToSignIn(reply, 'bad_state');
      }
      const query = request.url.slice(request.url.indexOf('?') >= 0 ? request.url.indexOf('?') : request.url.length);
      try {
        const identity = await oidc.finish(query, sealed);
        const result = await cadreen.people.signInWithIdentity(identity, request.ip);
        if (!result.ok) return backToSignIn(reply, result.reason);
        // The spent transaction's cookie, removed above, goes with the session's.
        return signedIn(reply, result.token, 302);
      } catch (error) {
        if (!(error instanceof OidcFailure)) throw error;
        await cadreen.people.refuse(error.reason, request.ip);
        return backToSignIn(reply, error.reason);
      }
    },
  });
}
