// Signing in: OpenID Connect (authorization code + PKCE, oidc-client-ts) against the issuer in
// config.json, or the local stack's development tokens. Either way the page gets a Session whose
// TokenSource the Api and the socket ask at each use.
//
// The bearer is the ID token: the server checks `aud` = the app client and reads the tenant,
// groups and names from it (Cognito's access token carries none of these). It is renewed with
// the refresh token (no iframe) before it expires; the user is kept in sessionStorage, so a
// reload stays signed in and each tab is its own session.

import { UserManager, type User } from "oidc-client-ts";

import { TokenSource } from "./auth-token";
import type { OidcConfig } from "./config";
import { clearDrafts } from "./drafts";

export interface Session {
  tokens: TokenSource;
  /** Signs out here and, for the identity provider, there too (a redirect). */
  signOut(): Promise<void>;
  /** The session ended by itself (a refused token): forget it here, keep the provider's. */
  forget(): Promise<void>;
}

/** Renew this long before the token expires. Fixed rather than a share of the lifetime, as
 * oidc-client-ts counts it; must stay below the shortest lifetime (Cognito's is 5 minutes, the
 * browser test's one minute), or every new token would look expiring at once. */
const RENEW_BEFORE_SECONDS = 30;

interface SignInState {
  /** The page's hash when sign-in started (#/c/<conversation>): restored after the redirect. */
  returnTo: string;
}

export class OidcSignIn {
  private readonly manager: UserManager;

  constructor(private readonly config: OidcConfig) {
    const home = `${window.location.origin}/`;
    this.manager = new UserManager({
      authority: config.authority,
      client_id: config.clientId,
      redirect_uri: config.redirectUri ?? home,
      post_logout_redirect_uri: config.postLogoutRedirectUri ?? home,
      response_type: "code",
      scope: config.scope ?? "openid profile email",
      automaticSilentRenew: true,
      accessTokenExpiringNotificationTimeInSeconds: RENEW_BEFORE_SECONDS,
      // Cognito's discovery document has no end_session_endpoint: its /logout is configured.
      metadataSeed: config.logoutUrl ? { end_session_endpoint: config.logoutUrl } : undefined,
    });
  }

  get providerName(): string {
    return this.config.providerName ?? "your organisation";
  }

  /** Off to the provider's sign-in page; `returnTo` comes back in the request's state. */
  signIn(returnTo: string): Promise<void> {
    const state: SignInState = { returnTo };
    return this.manager.signinRedirect({ state });
  }

  /** Where the page starts: back from the provider (sign-in or sign-out), or reloaded with a
   * stored session. Null when nobody is signed in. Throws on a failed sign-in answer (its
   * message is shown on the sign-in page). */
  async resume(): Promise<Session | null> {
    const url = new URL(window.location.href);
    const params = url.searchParams;
    if (params.has("state") && (params.has("code") || params.has("error"))) {
      const user = await this.manager.signinCallback().finally(() => this.cleanUrl(null));
      if (!user) return null;
      this.cleanUrl((user.state as SignInState | undefined)?.returnTo ?? "");
      return this.session(user);
    }
    if (params.has("state")) {
      // Back from the provider's sign-out.
      await this.manager.signoutCallback().catch(() => undefined);
      this.cleanUrl(url.hash);
      return null;
    }
    let user = await this.manager.getUser();
    if (user?.expired) {
      user = user.refresh_token ? await this.manager.signinSilent().catch(() => null) : null;
      if (!user) await this.manager.removeUser();
    }
    return user ? this.session(user) : null;
  }

  private session(user: User): Session {
    const manager = this.manager;
    const idToken = (u: User | null) => u?.id_token ?? null;
    const tokens = new TokenSource(idToken(user) ?? "", async () => idToken(await manager.signinSilent()));
    const loaded = (u: User) => {
      const token = idToken(u);
      if (token) tokens.update(token);
    };
    manager.events.addUserLoaded(loaded);
    const forget = async () => {
      manager.events.removeUserLoaded(loaded);
      manager.stopSilentRenew();
      await manager.removeUser();
    };
    const logoutUrl = this.config.logoutUrl;
    const clientId = this.config.clientId;
    const postLogout = this.manager.settings.post_logout_redirect_uri;
    return {
      tokens,
      forget,
      signOut: async () => {
        clearDrafts();
        manager.events.removeUserLoaded(loaded);
        manager.stopSilentRenew();
        // id_token_hint and post_logout_redirect_uri are the standard's; Cognito's /logout
        // wants client_id and logout_uri instead.
        await manager.signoutRedirect({
          id_token_hint: tokens.current(),
          extraQueryParams: logoutUrl && postLogout ? { client_id: clientId, logout_uri: postLogout } : undefined,
        });
      },
    };
  }

  /** Drops the provider's answer from the address bar (a reload must not replay it). */
  private cleanUrl(hash: string | null): void {
    const url = new URL(window.location.href);
    url.search = "";
    if (hash !== null) url.hash = hash;
    window.history.replaceState(null, "", url.toString());
  }
}

const DEV_TOKEN_KEY = "tenant-chat.token";

/** Development tokens (the local stack): kept per tab, so two tabs can be two people. They
 * cannot be renewed: once refused, the page goes back to the demo sign-in. */
export function devSession(token: string): Session {
  sessionStorage.setItem(DEV_TOKEN_KEY, token);
  const tokens = new TokenSource(token, null);
  const forget = () => {
    sessionStorage.removeItem(DEV_TOKEN_KEY);
    return Promise.resolve();
  };
  return {
    tokens,
    forget,
    signOut: () => {
      clearDrafts();
      return forget();
    },
  };
}

export function storedDevSession(): Session | null {
  const token = sessionStorage.getItem(DEV_TOKEN_KEY);
  return token ? devSession(token) : null;
}
