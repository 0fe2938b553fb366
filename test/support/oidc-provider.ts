import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';

/** A relying party registered at the test provider. */
export interface OidcTestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** How the client authenticates at the token endpoint. Default `client_secret_basic`. */
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
}

/** A person known to the test provider; `sub` is also what they type in the login field. */
export interface OidcTestAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name?: string;
}

export interface OidcProviderOptions {
  /** Clients known from the start; more can be added with {@link OidcTestProvider.setClient}. */
  clients?: OidcTestClient[];
  accounts?: OidcTestAccount[];
  /**
   * When true, claims asked for with scopes (`email`, `profile`) are only served by the
   * userinfo endpoint, as OpenID Connect Core prescribes for the code flow and as some
   * providers do; the ID token then carries `sub` alone. Default false: the ID token
   * carries `email`, `email_verified` and `name`, as Google, Okta, Entra ID and WorkOS do.
   */
  claimsOnlyFromUserinfo?: boolean;
}

export interface OidcTestProvider {
  /** `http://127.0.0.1:<port>`, the value for `CADREEN_OIDC_ISSUER`. */
  issuer: string;
  /**
   * Adds a client or replaces the one with the same `client_id`. For a server started after
   * the provider (it needs the issuer at start, the provider needs its redirect URI).
   */
  setClient(client: OidcTestClient): void;
  /** Adds an account or replaces the one with the same `sub`; effective for the next sign-in. */
  setAccount(account: OidcTestAccount): void;
  /** Forgets an account; signing in as it then ends on the provider's error page (no callback). */
  removeAccount(sub: string): void;
  /**
   * Stops the provider: closes the listener and every open connection. Safe to call twice.
   * To test "provider down", close it and then call the server's callback (or login) route:
   * discovery and the token request then fail with a connection error.
   */
  close(): Promise<void>;
}

/** The subset of the oidc-provider instance this fixture uses (the package ships no types). */
interface ProviderInstance {
  callback(): (req: unknown, res: unknown) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

interface StoredArtifact {
  payload: Record<string, unknown> & { consumed?: number; grantId?: string; uid?: string; userCode?: string };
  expiresAt: number;
}

/**
 * An oidc-provider adapter keeping artifacts in one Map per provider, so two providers in
 * the same process never share codes or sessions (the package's own quick-start adapter is
 * one module-wide store, and warns when used). Clients are read from `clients` on every
 * lookup, which is how {@link OidcTestProvider.setClient} takes effect at once.
 */
function memoryAdapterFactory(clients: Map<string, Record<string, unknown>>) {
  const artifacts = new Map<string, StoredArtifact>();
  const indexes = new Map<string, string>();
  const live = (key: string): StoredArtifact | undefined => {
    const entry = artifacts.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      artifacts.delete(key);
      return undefined;
    }
    return entry;
  };
  return (model: string) => {
    if (model === 'Client') return { find: async (id: string) => clients.get(id) };
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: StoredArtifact['payload'], expiresIn: number) {
        artifacts.set(keyOf(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
        if (payload.uid && model === 'Session') indexes.set(`sessionUid:${payload.uid}`, id);
        if (payload.userCode) indexes.set(`userCode:${payload.userCode}`, id);
        if (payload.grantId) indexes.set(`grant:${payload.grantId}:${keyOf(id)}`, keyOf(id));
      },
      async find(id: string) {
        return live(keyOf(id))?.payload;
      },
      async findByUid(uid: string) {
        const id = indexes.get(`sessionUid:${uid}`);
        return id === undefined ? undefined : live(keyOf(id))?.payload;
      },
      async findByUserCode(userCode: string) {
        const id = indexes.get(`userCode:${userCode}`);
        return id === undefined ? undefined : live(keyOf(id))?.payload;
      },
      async consume(id: string) {
        const entry = live(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        artifacts.delete(keyOf(id));
      },
      async revokeByGrantId(grantId: string) {
        const prefix = `grant:${grantId}:`;
        for (const [index, key] of indexes) {
          if (!index.startsWith(prefix)) continue;
          artifacts.delete(key);
          indexes.delete(index);
        }
      },
    };
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The package prints a notice that its built-in login and consent pages are for development.
 * They are exactly what these tests want, so that one line (and only it) is kept out of the
 * test output while the provider is constructed; every other warning still prints.
 */
function constructQuietly(Provider: ProviderConstructor, issuer: string, configuration: Record<string, unknown>) {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('development-only feature devInteractions')) return;
    warn.apply(console, args);
  };
  try {
    return new Provider(issuer, configuration);
  } finally {
    console.warn = warn;
  }
}

/**
 * Starts a real OpenID Connect provider (oidc-provider 8) on 127.0.0.1, port 0, plain http.
 *
 * - Authorization code flow only (`response_types: ['code']`), PKCE with S256 required for
 *   every client, client authentication `client_secret_basic` unless a client says
 *   `client_secret_post`; ID tokens signed RS256 with a key generated at start.
 * - The provider's own login page (the "login" field takes the account's `sub`, any password)
 *   and consent page; drive them with {@link signInAtProvider}.
 * - Scopes `openid email profile` give the claims `sub`, `email`, `email_verified`, `name`.
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcTestProvider> {
  // Imported by name at run time: the package publishes no type declarations.
  const packageName = 'oidc-provider';
  const { default: Provider } = (await import(packageName)) as { default: ProviderConstructor };

  const clients = new Map<string, Record<string, unknown>>();
  const setClient = (client: OidcTestClient) =>
    clients.set(client.client_id, {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    });
  for (const client of options.clients ?? []) setClient(client);
  const accounts = new Map<string, OidcTestAccount>();
  for (const account of options.accounts ?? []) accounts.set(account.sub, { ...account });

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

  const configuration = {
    adapter: memoryAdapterFactory(clients),
    jwks: { keys: [signingKey] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // Lax rather than the package's default None: browsers drop SameSite=None cookies over http.
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: options.claimsOnlyFromUserinfo ?? false,
    features: { devInteractions: { enabled: true } },
    pkce: { methods: ['S256'], required: () => true },
    responseTypes: ['code'],
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    clientBasedCORS: () => false,
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          const { email, email_verified, name } = accounts.get(sub) ?? account;
          return { sub, email, email_verified, ...(name === undefined ? {} : { name }) };
        },
      };
    },
    async renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>oidc error</title><pre id="oidc-error">${escapeHtml(
        `${out.error ?? 'error'}: ${out.error_description ?? ''}`,
      )}</pre>`;
    },
  };
  let provider: ProviderInstance;
  try {
    provider = constructQuietly(Provider, issuer, configuration);
  } catch (error) {
    server.close();
    throw error;
  }
  server.on('request', provider.callback());

  let closing: Promise<void> | undefined;
  return {
    issuer,
    setClient(client) {
      setClient(client);
    },
    setAccount(account) {
      accounts.set(account.sub, { ...account });
    },
    removeAccount(sub) {
      accounts.delete(sub);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export interface SignInAtProviderOptions {
  /** The account's `sub`, typed in the provider's login field. */
  login: string;
  password?: string;
}

/**
 * Signs in through the provider's own pages: the login form (login and password), then the
 * consent form when the provider asks for it. Call it once the page shows the provider
 * (after following the app's redirect). Returns once the browser has left the provider,
 * i.e. reached the redirect URI (or wherever the app sent it from there). A provider error
 * page, or a login the provider refuses, throws with the page's text.
 *
 * @returns the provider's pages answered, in order: `['login', 'consent']` on a first sign-in.
 */
export async function signInAtProvider(page: Page, options: SignInAtProviderOptions): Promise<Array<'login' | 'consent'>> {
  const providerOrigin = new URL(page.url()).origin;
  const atProvider = () => new URL(page.url()).origin === providerOrigin;
  const answered: Array<'login' | 'consent'> = [];
  // Login, then consent: two forms at most, three pages with the one that fails.
  for (let step = 0; step < 3 && atProvider(); step += 1) {
    await page.waitForLoadState('domcontentloaded');
    const promptField = page.locator('form input[name=prompt]');
    const prompt = (await promptField.count()) > 0 ? await promptField.first().getAttribute('value') : null;
    if (prompt === 'login' && !answered.includes('login')) {
      await page.locator('input[name=login]').fill(options.login);
      await page.locator('input[name=password]').fill(options.password ?? 'any password');
    } else if (prompt !== 'consent') {
      break;
    }
    answered.push(prompt);
    await Promise.all([
      page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }),
      page.locator('form button[type=submit]').click(),
    ]);
  }
  if (atProvider()) {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`the provider did not send the browser back (${page.url()}): ${text.slice(0, 300)}`);
  }
  return answered;
}
