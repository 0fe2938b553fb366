import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { skipWhen } from './skip-reason.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signInAtProvider, startOidcProvider, type OidcTestProvider } from './oidc-provider.js';

const CHROMIUM = '/usr/bin/chromium';
const CALLBACK_PATH = '/auth/oidc/callback';
const CLIENT_ID = 'cadreen-test';
const CLIENT_SECRET = 'cadreen-test-secret-0123456789abcdef';
const ADA = { sub: 'ada', email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' };
const BOB = { sub: 'bob', email: 'bob@example.com', email_verified: false, name: 'Bob Unverified' };

if (process.env.CI === 'true' && !existsSync(CHROMIUM)) throw new Error(`CI=true needs ${CHROMIUM} (see .ci/run)`);

/** A loopback HTTP server standing in for the app's redirect URI: it records each callback URL. */
async function startRedirectTarget(): Promise<{ redirectUri: string; callbacks: URL[]; close(): Promise<void> }> {
  const callbacks: URL[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname !== CALLBACK_PATH) {
      res.writeHead(404).end();
      return;
    }
    callbacks.push(url);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the app');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    callbacks,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The relying party's view of the provider, as the server will build it (http issuer in tests). */
function discover(issuer: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** What the server keeps in its short-lived cookie between login and callback. */
interface PendingSignIn {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

async function buildSignIn(config: oidc.Configuration, redirectUri: string): Promise<PendingSignIn> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, state, nonce, codeVerifier };
}

/** Whatever `fn` throws, as a plain record of what the server can branch on. */
async function failureOf(fn: () => Promise<unknown>): Promise<{ name: string; code?: string; error?: string; cause?: string }> {
  try {
    await fn();
  } catch (thrown) {
    const e = thrown as Error & { code?: string; error?: string; cause?: unknown };
    const cause = e.cause instanceof Error ? `${e.cause.name}${(e.cause as { code?: string }).code ? `:${(e.cause as { code?: string }).code}` : ''}` : undefined;
    return { name: e.constructor.name, code: e.code, error: e.error, cause };
  }
  throw new Error('expected a failure');
}

describe('a real OpenID provider for tests, used the way the server uses openid-client', skipWhen(existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`), () => {
  let provider: OidcTestProvider;
  let target: Awaited<ReturnType<typeof startRedirectTarget>>;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    target = await startRedirectTarget();
    // The client is added after start, as a server that needs the issuer to start will do.
    provider = await startOidcProvider({ accounts: [ADA, BOB] });
    provider.setClient({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [target.redirectUri] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    await provider?.close();
    await target?.close();
  });

  /** Opens the authorization URL in a fresh browser, signs in as `login`, returns the callback URL. */
  async function signIn(pending: PendingSignIn, login: string): Promise<URL> {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pending.url.href);
    expect(await signInAtProvider(page, { login })).toEqual(['login', 'consent']);
    const callback = target.callbacks.at(-1);
    expect(callback && page.url()).toBe(callback?.href);
    return callback!;
  }

  it('discovery announces the code flow with PKCE S256, client_secret_basic and RS256 ID tokens', async () => {
    const metadata = (await discover(provider.issuer)).serverMetadata();
    expect(metadata.issuer).toBe(provider.issuer);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
    expect(metadata.id_token_signing_alg_values_supported).toContain('RS256');
  });

  it('discovery of an http issuer is refused unless allowInsecureRequests is passed', async () => {
    const failure = await failureOf(() => oidc.discovery(new URL(provider.issuer), CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET)));
    expect(failure).toMatchObject({ name: 'ClientError', code: 'OAUTH_HTTP_REQUEST_FORBIDDEN' });
  });

  it('a verified person signs in through the login and consent pages and the ID token carries their verified email', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, ADA.sub);
    expect(callback.searchParams.get('state')).toBe(pending.state);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: provider.issuer, aud: CLIENT_ID, sub: ADA.sub, nonce: pending.nonce, email: ADA.email, email_verified: true, name: ADA.name });
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('RS256');
  });

  it('an unverified email arrives with email_verified false', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, BOB.sub);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
    });
    expect(tokens.claims()).toMatchObject({ sub: BOB.sub, email: BOB.email, email_verified: false });
  });

  it('setAccount changes what the next sign-in reports', async () => {
    provider.setAccount({ sub: 'carol', email: 'carol@example.org', email_verified: true });
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const tokens = await oidc.authorizationCodeGrant(config, await signIn(pending, 'carol'), {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
    });
    expect(tokens.claims()).toMatchObject({ sub: 'carol', email: 'carol@example.org', email_verified: true });
    expect(tokens.claims()).not.toHaveProperty('name');
  });

  it("a login the provider does not know ends on the provider's error page, never at the redirect URI", async () => {
    provider.setAccount({ sub: 'gone', email: 'gone@example.com', email_verified: true });
    provider.removeAccount('gone');
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pending.url.href);
    const before = target.callbacks.length;
    const refusal = await signInAtProvider(page, { login: 'gone' }).catch((e: Error) => e);
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).message).toMatch(/did not send the browser back/);
    expect(target.callbacks.length).toBe(before);
  });

  it('a replayed code is refused by the provider with invalid_grant', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, ADA.sub);
    const checks = { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce };
    await oidc.authorizationCodeGrant(config, callback, checks);
    const failure = await failureOf(() => oidc.authorizationCodeGrant(config, callback, checks));
    expect(failure).toMatchObject({ name: 'ResponseBodyError', code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_grant' });
  });

  it('an ID token whose nonce is not the expected one is refused', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, ADA.sub);
    const failure = await failureOf(() =>
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: oidc.randomNonce(),
      }),
    );
    expect(failure).toMatchObject({ name: 'ClientError', code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
  });

  it('a callback whose state is not the expected one is refused before the code is spent', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, ADA.sub);
    const checks = { pkceCodeVerifier: pending.codeVerifier, expectedNonce: pending.nonce };
    const failure = await failureOf(() => oidc.authorizationCodeGrant(config, callback, { ...checks, expectedState: oidc.randomState() }));
    expect(failure).toMatchObject({ name: 'ClientError', code: 'OAUTH_INVALID_RESPONSE' });
    const forged = new URL(callback);
    forged.searchParams.set('state', oidc.randomState());
    expect(await failureOf(() => oidc.authorizationCodeGrant(config, forged, { ...checks, expectedState: pending.state }))).toMatchObject({
      name: 'ClientError',
      code: 'OAUTH_INVALID_RESPONSE',
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { ...checks, expectedState: pending.state });
    expect(tokens.claims()?.email).toBe(ADA.email);
  });

  it('a wrong PKCE verifier is refused by the provider with invalid_grant', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, ADA.sub);
    const failure = await failureOf(() =>
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      }),
    );
    expect(failure).toMatchObject({ name: 'ResponseBodyError', error: 'invalid_grant' });
  });

  it('an authorization request without PKCE is sent back with invalid_request', async () => {
    const config = await discover(provider.issuer);
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: target.redirectUri, scope: 'openid email', state: 's', nonce: 'n' });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(target.redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('a person who cancels at the provider comes back with an error the client reports as AuthorizationResponseError', async () => {
    const config = await discover(provider.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pending.url.href);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(target.redirectUri)), page.getByText('[ Cancel ]').click()]);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const failure = await failureOf(() =>
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce }),
    );
    expect(failure).toMatchObject({ name: 'AuthorizationResponseError', code: 'OAUTH_AUTHORIZATION_RESPONSE_ERROR', error: 'access_denied' });
  });

  it('with claimsOnlyFromUserinfo the ID token has no email and userinfo serves the verified email', async () => {
    const strict = await startOidcProvider({
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [target.redirectUri] }],
      accounts: [ADA],
      claimsOnlyFromUserinfo: true,
    });
    try {
      const config = await discover(strict.issuer);
      const pending = await buildSignIn(config, target.redirectUri);
      const tokens = await oidc.authorizationCodeGrant(config, await signIn(pending, ADA.sub), {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      const claims = tokens.claims()!;
      expect(claims.email).toBeUndefined();
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      expect(userinfo).toMatchObject({ sub: ADA.sub, email: ADA.email, email_verified: true });
    } finally {
      await strict.close();
    }
  });

  it('a closed provider fails discovery and the token request with a connection error; close is safe twice', async () => {
    const doomed = await startOidcProvider({
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [target.redirectUri] }],
      accounts: [ADA],
    });
    const config = await discover(doomed.issuer);
    const pending = await buildSignIn(config, target.redirectUri);
    const callback = await signIn(pending, ADA.sub);
    await doomed.close();
    await doomed.close();
    const checks = { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce };
    expect(await failureOf(() => oidc.authorizationCodeGrant(config, callback, checks))).toMatchObject({ name: 'TypeError' });
    expect(await failureOf(() => discover(doomed.issuer))).toMatchObject({ name: 'TypeError' });
  });
});
