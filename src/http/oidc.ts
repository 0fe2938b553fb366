import * as oidc from 'openid-client';

/** An OpenID provider people sign in with (DESIGN §9). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** What the browser carries between the redirect to the provider and its return (in a signed cookie). */
export interface OidcTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Why a return from the provider was not a signed-in identity. */
export class OidcFailure extends Error {
  constructor(readonly reason: 'provider_unavailable' | 'bad_state' | 'provider_error' | 'unverified_email') {
    super(reason);
  }
}

/**
 * Authorization code + PKCE with `state` and `nonce`, by `openid-client`
 * (certified). The provider's metadata is discovered on first use and again
 * after a failure, so a provider that is down at start-up does not stop
 * the service.
 */
export class OidcClient {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly redirectUri: string,
  ) {}

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        undefined,
        oidc.ClientSecretBasic(this.settings.clientSecret),
        this.settings.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        throw error;
      });
    return this.configuration;
  }

  /** Where to send the browser, and what it must bring back. */
  async start(): Promise<{ url: string; transaction: OidcTransaction }> {
    let configuration: oidc.Configuration;
    try {
      configuration = await this.discover();
    } catch {
      throw new OidcFailure('provider_unavailable');
    }
    const transaction = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.codeVerifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return { url: url.href, transaction };
  }

  /** Validates the provider's answer (state, code, ID token, nonce) and returns the identity it vouches for. */
  async finish(query: string, transaction: OidcTransaction): Promise<{ email: unknown; emailVerified: unknown; name: unknown }> {
    let configuration: oidc.Configuration;
    try {
      configuration = await this.discover();
    } catch {
      throw new OidcFailure('provider_unavailable');
    }
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, new URL(`${this.redirectUri}${query}`), {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      let claims: Record<string, unknown> = tokens.claims()!;
      if (claims.email === undefined) claims = await oidc.fetchUserInfo(configuration, tokens.access_token, tokens.claims()!.sub);
      return { email: claims.email, emailVerified: claims.email_verified, name: claims.name };
    } catch (error) {
      if (error instanceof TypeError) throw new OidcFailure('provider_unavailable');
      const code = (error as { code?: unknown }).code;
      if (code === 'OAUTH_INVALID_RESPONSE' || code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') throw new OidcFailure('bad_state');
      throw new OidcFailure('provider_error');
    }
  }
}
