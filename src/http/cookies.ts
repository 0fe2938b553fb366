import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie that carries a person's session token. */
export const SESSION_COOKIE = 'cadreen_session';

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure on https.
 * `maxAgeSeconds` 0 removes the cookie; undefined makes it last as long as the browser does.
 */
export function cookie(name: string, value: string, options: { secure: boolean; maxAgeSeconds?: number; path?: string }): string {
  return [
    `${name}=${value}`,
    `Path=${options.path ?? '/'}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
    ...(options.maxAgeSeconds !== undefined ? [`Max-Age=${options.maxAgeSeconds}`] : []),
  ].join('; ');
}

/** `payload` (JSON) in a cookie value signed with `secret`, so the browser can carry it but not change it. */
export function sealCookieValue(secret: string, payload: unknown): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** The payload of a value made by `sealCookieValue`, or undefined when it was changed or is not one. */
export function openCookieValue(secret: string, value: string | undefined): unknown {
  if (!value) return undefined;
  const [body, signature, extra] = value.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('base64url'));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
